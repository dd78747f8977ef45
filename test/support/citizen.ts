import type { SimBehaviour } from "../../connectors/sdk/simulator-kit.ts";
import type { Stack } from "./stack.ts";

/** What a citizen's browser does without a browser: open next_url, choose, follow redirects by hand. */
export const citizen = (stack: Stack) => {
  const checkoutPage = async (nextUrl: string) => {
    const response = await fetch(nextUrl, { redirect: "manual" });
    return {
      status: response.status,
      html: await response.text(),
      location: response.headers.get("location"),
    };
  };

  /** Chooses an intermediary on the checkout page; returns where PayGov sends the browser (303). */
  const choose = async (nextUrl: string, connector: string) => {
    const page = await checkoutPage(nextUrl);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1];
    if (!csrf) throw new Error(`no CSRF token on the checkout page (status ${page.status})`);
    const response = await fetch(`${nextUrl}/attempts`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, connector, lang: "vi" }).toString(),
    });
    return { status: response.status, location: response.headers.get("location") ?? "" };
  };

  /**
   * Opens the intermediary's page (as the browser does after the 303) and pays there with an outcome,
   * through the simulator kit's control API: success, failure or cancel (VNPay's 00, 51 or 24).
   */
  const payAtVnpay = async (redirectUrl: string, outcome: "success" | "failure" | "cancel") => {
    const opened = await fetch(redirectUrl, { redirect: "manual" });
    if (opened.status !== 200)
      throw new Error(`the simulator refused the payment URL: ${opened.status} ${await opened.text()}`);
    const reference = new URL(redirectUrl).searchParams.get("vnp_TxnRef")!;
    const paid = await fetch(`${stack.sandboxUrl}/vnpay/_sim/pay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reference, outcome }),
    });
    if (!paid.ok) throw new Error(`the simulator could not pay: ${paid.status} ${await paid.text()}`);
    return { reference, returnUrl: ((await paid.json()) as { returnUrl: string }).returnUrl };
  };

  return { checkoutPage, choose, payAtVnpay };
};

/** Tells the VNPay simulator how to misbehave (the kit's vocabulary) for one reference, or for all. */
export const vnpayBehaviour = async (
  stack: Stack,
  behaviour: Partial<SimBehaviour> & { readonly reference?: string },
) => {
  const response = await fetch(`${stack.sandboxUrl}/vnpay/_sim/behaviour`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(behaviour),
  });
  if (!response.ok) throw new Error(`behaviour refused: ${response.status} ${await response.text()}`);
};
