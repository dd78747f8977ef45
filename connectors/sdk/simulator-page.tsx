/**
 * What the simulators' checkout pages share: the page frame in the intermediary's colour, amounts and
 * times as Vietnamese pages print them, and the testing options every page offers (how the callback
 * is sent, and after how long). The parts that make each page its intermediary's stay in its folder.
 */
import type { Child } from "hono/jsx";
import type { SimBehaviour } from "./simulator-kit.ts";

type Language = "vi" | "en";

const style = (accent: string) => `
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
h1 { color: ${accent}; font-size: 1.4rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1rem; }
dt { font-weight: 600; }
fieldset { margin: 1rem 0; }
.outcomes { display: flex; flex-wrap: wrap; gap: .5rem; }
button { padding: .5rem .8rem; cursor: pointer; }
.error { color: #b00020; }
`;

/** A simulator's page: `accent` is the intermediary's brand colour for the heading. */
export const SimulatorLayout = (props: {
  language: Language;
  title: string;
  accent: string;
  children: Child;
}) => (
  <html lang={props.language}>
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{props.title}</title>
      <style>{style(props.accent)}</style>
    </head>
    <body>{props.children}</body>
  </html>
);

export const formatSimAmount = (amount: number, language: Language): string =>
  new Intl.NumberFormat(language === "en" ? "en-US" : "vi-VN", { style: "currency", currency: "VND" }).format(
    amount,
  );

export const formatSimTime = (instant: Date, language: Language): string =>
  new Intl.DateTimeFormat(language === "en" ? "en-GB" : "vi-VN", {
    dateStyle: "short",
    timeStyle: "medium",
    timeZone: "Asia/Ho_Chi_Minh",
  }).format(instant);

/**
 * The testing options: how the callback is sent (`modes`, in the page's words) and its delay, preset
 * from the behaviour POST /_sim/behaviour or a magic amount chose. Tests find them by data-testid.
 */
export const CallbackOptions = (props: {
  legend: string;
  callbackLabel: string;
  delayLabel: string;
  modes: Partial<Record<SimBehaviour["callback"], string>>;
  behaviour: SimBehaviour;
  /** A simulator's own options, after the common ones. */
  children?: Child;
}) => (
  <fieldset>
    <legend>{props.legend}</legend>
    <label>
      {props.callbackLabel}{" "}
      <select name="callback" data-testid="sim-callback">
        {Object.entries(props.modes).map(([mode, label]) => (
          <option value={mode} selected={mode === props.behaviour.callback}>
            {label}
          </option>
        ))}
      </select>
    </label>{" "}
    <label>
      {props.delayLabel}{" "}
      <input
        type="number"
        name="delaySeconds"
        min="0"
        max="600"
        value={String(props.behaviour.delayMs / 1000)}
        data-testid="sim-delay"
      />
    </label>
    {props.children}
  </fieldset>
);
