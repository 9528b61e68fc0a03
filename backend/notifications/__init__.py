"""In-app notifications: what a person should know of (a case of theirs overdue), listed on
their screen until read. Web Push delivery joins it once pushes are sent."""
