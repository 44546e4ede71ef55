// Logs in through the demo's Django site as a browser's form does: GET the login page for its CSRF
// cookie and token, POST the username and password, keep the session cookie Django sets. The demo's
// --check uses it to reach /members/ (AuthType DjangoSession) with a real session.
import { httpRequest, type HttpResponse } from "./http-request.js";
import { DJANGO_LOGIN_URL } from "./django-site.js";

export const SESSION_COOKIE_NAME = "sessionid";

/** The value of cookie `name` among Set-Cookie headers (the last one wins, as in a browser's jar). */
export function cookieFrom(response: HttpResponse, name: string): string | null {
  let value: string | null = null;
  for (const header of response.setCookies) {
    const [pair = ""] = header.split(";");
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(0, eq).trim() === name) value = pair.slice(eq + 1).trim();
  }
  return value;
}

export interface LoginResult {
  /** The session cookie's value when Django logged the user in; null when it refused. */
  readonly session: string | null;
  /** The POST's status: 302 (to `next`) on success, 200 (the form again, with its error) otherwise. */
  readonly status: number;
}

export async function djangoLogin(port: number, user: string, password: string, next = "/accounts/"): Promise<LoginResult> {
  const page = await httpRequest({ port, path: DJANGO_LOGIN_URL });
  const csrfCookie = cookieFrom(page, "csrftoken");
  const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(page.body)?.[1];
  if (page.status !== 200 || !csrfCookie || !token) throw new Error(`Django's login page answered ${page.status} without a CSRF cookie and token`);
  const form = new URLSearchParams({ csrfmiddlewaretoken: token, username: user, password, next }).toString();
  const posted = await httpRequest({
    port,
    path: DJANGO_LOGIN_URL,
    method: "POST",
    headers: [
      ["Cookie", `csrftoken=${csrfCookie}`],
      ["Content-Type", "application/x-www-form-urlencoded"],
      ["Referer", `http://127.0.0.1:${port}${DJANGO_LOGIN_URL}`],
    ],
    body: form,
  });
  return { session: posted.status === 302 ? cookieFrom(posted, SESSION_COOKIE_NAME) : null, status: posted.status };
}
