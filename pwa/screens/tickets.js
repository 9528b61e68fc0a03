// 我的排号: my tickets of the last 30 days, open ones first, each leading to its page, and the
// way to take a number. With no signal, the list as last read.
import { authed } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import { isOpen, sortTickets } from "../app/queue.js";
import { cachedTickets, cacheTickets } from "../app/ticket-cache.js";
import { formatTime, h } from "../app/ui/dom.js";
import { isNetworkFailure } from "../app/ui/offline-notice.js";

function card(app, ticket) {
  const { t } = app;
  const where = ticket.status === "waiting" && ticket.position
    ? t("queue.position_short", { n: ticket.position })
    : ticket.status === "called" && ticket.window ? t("queue.call_banner", { window: ticket.window.number }) : "";
  return h("li", {}, h("a", { href: `#/tickets/${ticket.id}`, class: "row ticket-card", dataset: { id: ticket.id, status: ticket.status } },
    h("span", { class: "card-head" },
      h("span", { class: "status-chip ticket-status", dataset: { status: ticket.status } }, t(`queue.status.${ticket.status}`)),
      h("span", { class: "ticket-card-number" }, ticket.number)),
    h("span", { class: "title" }, `${ticket.service.code} · ${ticket.service.name}`),
    h("span", { class: "meta" }, ticket.hall_name, " · ", formatTime(ticket.taken_at, app.language()),
      where ? [" · ", h("strong", {}, where)] : null)));
}

export async function mount(root, _params, app) {
  const { t } = app;
  const owner = app.owner();
  let gone = false;
  const section = h("section", { id: "tickets", class: "narrow" });
  const note = h("p", { id: "tickets-offline", class: "notice warn", role: "status", hidden: true });
  const list = h("div", { id: "tickets-body" }, h("p", { class: "loading" }, t("queue.loading")));
  section.append(h("h1", {}, t("queue.my_tickets")),
    h("a", { class: "button primary", href: "#/tickets/new", id: "tickets-take" }, t("queue.take_title")),
    note, list);
  root.append(section);

  const draw = (items) => {
    const tickets = sortTickets(items);
    list.replaceChildren(tickets.length
      ? h("ul", { class: "list cards", id: "ticket-list" }, tickets.map((ticket) => card(app, ticket)))
      : h("p", { class: "hint", id: "ticket-list-empty" }, t("queue.no_tickets")));
    const open = tickets.filter(isOpen).length;
    list.prepend(open ? h("p", { class: "hint" }, t("queue.open_n", { n: open })) : "");
  };

  async function load() {
    try {
      const { items } = await authed("/api/v1/tickets");
      if (gone) return;
      note.hidden = true;
      draw(items);
      cacheTickets(owner, items).catch(() => {});
    } catch (error) {
      if (gone) return;
      const kept = await cachedTickets(owner).catch(() => null);
      if (isNetworkFailure(error) && kept) {
        note.textContent = t("queue.offline_as_of", { time: formatTime(kept.saved_at, app.language()) });
        note.hidden = false;
        draw(kept.items);
      } else {
        list.replaceChildren(h("p", { class: "error", role: "alert" }, errorMessage(error)));
      }
    }
  }

  load();
  window.addEventListener("online", load);
  return () => {
    gone = true;
    window.removeEventListener("online", load);
  };
}
