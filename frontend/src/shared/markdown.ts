// A tiny, safe Markdown-to-DOM for the datasheets the export builder writes:
// headings, paragraphs, lists, pipe tables, fenced code, `code` and **bold**.
// Everything becomes text nodes; no HTML from the text is ever parsed.
import { h } from "./dom";

type Inline = Node | string;

/** `code` and **bold** spans; everything else is text. */
export function inline(text: string): Inline[] {
  const out: Inline[] = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*/g;
  let last = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match.index > last) out.push(text.slice(last, match.index));
    out.push(match[1] !== undefined ? h("code", {}, match[1]) : h("strong", {}, match[2] ?? ""));
    last = match.index + match[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function cells(line: string): string[] {
  return line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());
}

const TABLE_RULE = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;
const BULLET = /^\s*[-*]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;

/** The Markdown `source` as DOM nodes, in a `div.markdown`. */
export function renderMarkdown(source: string): HTMLDivElement {
  const root = h("div", { class: "markdown" });
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  const at = (n: number): string => lines[n] ?? "";
  while (i < lines.length) {
    const line = at(i);
    if (!line.trim()) {
      i += 1;
      continue;
    }
    if (line.startsWith("```")) {
      const body: string[] = [];
      i += 1;
      while (i < lines.length && !at(i).startsWith("```")) body.push(at(i++));
      i += 1;
      root.append(h("pre", {}, h("code", {}, body.join("\n"))));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const level = Math.min(6, (heading[1] ?? "#").length + 2); // the card already has an h2
      root.append(h(`h${level}` as "h3", {}, ...inline(heading[2] ?? "")));
      i += 1;
      continue;
    }
    if (line.includes("|") && TABLE_RULE.test(at(i + 1))) {
      const head = cells(line);
      i += 2;
      const body: string[][] = [];
      while (i < lines.length && at(i).includes("|") && at(i).trim()) body.push(cells(at(i++)));
      root.append(
        h(
          "div",
          { class: "table-scroll" },
          h(
            "table",
            { class: "data" },
            h("thead", {}, h("tr", {}, ...head.map((c) => h("th", { scope: "col" }, ...inline(c))))),
            h("tbody", {}, ...body.map((row) => h("tr", {}, ...row.map((c) => h("td", {}, ...inline(c)))))),
          ),
        ),
      );
      continue;
    }
    const list = BULLET.test(line) ? BULLET : NUMBERED.test(line) ? NUMBERED : null;
    if (list) {
      const el = h(list === BULLET ? "ul" : "ol", {});
      while (i < lines.length && list.test(at(i))) {
        el.append(h("li", {}, ...inline(list.exec(at(i))?.[1] ?? "")));
        i += 1;
      }
      root.append(el);
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length && at(i).trim() && !/^(#{1,6}\s|```)/.test(at(i)) && !BULLET.test(at(i)) && !NUMBERED.test(at(i))
      && !(at(i).includes("|") && TABLE_RULE.test(at(i + 1)))) {
      paragraph.push(at(i).trim());
      i += 1;
    }
    root.append(h("p", {}, ...inline(paragraph.join(" "))));
  }
  return root;
}
