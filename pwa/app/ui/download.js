// Downloading a file the API makes (CSV, Excel): fetched with the session's token, then
// handed to the browser as a download.
import { authed } from "../api.js";
import { h } from "./dom.js";

export async function download(path, filename) {
  const response = await authed(path, { raw: true });
  if (!response.ok) throw new Error(String(response.status));
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
