// The consoles' "offline" notice: online-only pages say so while the browser is offline or
// an answer did not come, and load again when the connection is back.
import { h } from "./dom.js";

/** Did this failed call fail for want of a network (rather than an answer saying no)? */
export function isNetworkFailure(err, online = navigator.onLine) {
  return err?.status === 0 || !online;
}

/**
 * The notice, hidden until show(true). watch(onBackOnline) follows the browser's online and
 * offline events and returns the function that stops following them.
 */
export function offlineNotice({ id, text }) {
  const element = h("p", { id, class: "notice warn", role: "status", hidden: true }, text);
  const show = (isOffline) => { element.hidden = !isOffline; };
  return {
    element,
    show,
    watch(onBackOnline) {
      const online = () => { show(false); onBackOnline(); };
      const offline = () => show(true);
      window.addEventListener("online", online);
      window.addEventListener("offline", offline);
      show(!navigator.onLine);
      return () => {
        window.removeEventListener("online", online);
        window.removeEventListener("offline", offline);
      };
    },
  };
}
