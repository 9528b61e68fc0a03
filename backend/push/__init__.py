"""Web Push: the browsers' push subscriptions, the server's VAPID key, and sending."""
