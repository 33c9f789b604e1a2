// Consent and licence card of a faceset: the records that allow training a swap
// model on it, an add form for curators (with an optional evidence file) and
// delete for owners.
import { ApiError, apiList, withParams } from "../api/client";
import { CONSENT_BASES, type ConsentRecord, deleteRecord, postConsent } from "../api/swaps";
import { dataBool, h, setText } from "../shared/dom";
import { formatAbsolute, formatRelative } from "../shared/format";

function isWebAddress(text: string): boolean {
  return /^https?:\/\/\S+$/i.test(text.trim());
}

export class ConsentCard {
  private readonly api: string;
  private readonly canCurate: boolean;
  private readonly isOwner: boolean;
  private readonly list: HTMLUListElement;
  private readonly summary: HTMLParagraphElement;
  private readonly status: HTMLDivElement;
  private form: HTMLFormElement | null = null;

  constructor(private readonly root: HTMLElement) {
    this.api = root.dataset.api ?? "";
    this.canCurate = dataBool(root, "canCurate");
    this.isOwner = dataBool(root, "isOwner");
    this.summary = h("p", { class: "consent-summary", role: "status", "aria-live": "polite" }, "Loading records…");
    this.list = h("ul", { class: "consent-list", id: "consent-list" });
    this.status = h("div", { class: "consent-status", role: "status", "aria-live": "polite" });
    const body = h("div", { class: "consent-body" }, this.summary, this.list);
    if (this.canCurate) {
      this.form = this.buildForm();
      body.append(this.form, this.status);
    }
    root.replaceChildren(body);
  }

  async refresh(): Promise<void> {
    try {
      const page = await apiList<ConsentRecord>(withParams(this.api, { page_size: 200 }));
      this.render(page.results);
    } catch (err) {
      setText(this.summary, `Could not load the records: ${err instanceof ApiError ? err.describe() : String(err)}`);
      this.summary.classList.add("error-text");
    }
  }

  private render(records: ConsentRecord[]): void {
    this.summary.classList.remove("error-text");
    this.root.dataset.count = String(records.length);
    this.summary.classList.toggle("consent-missing", records.length === 0);
    setText(
      this.summary,
      records.length
        ? `${records.length} record${records.length === 1 ? "" : "s"} on file: this faceset may be used to train swap models within the scope below.`
        : "No record yet: swap models refuse to train on this faceset until someone records who consented or which licence covers it.",
    );
    this.list.replaceChildren(...records.map((record) => this.item(record)));
    this.list.hidden = records.length === 0;
  }

  private item(record: ConsentRecord): HTMLLIElement {
    const reference = record.reference.trim();
    const refNode = reference
      ? isWebAddress(reference)
        ? h("a", { href: reference, target: "_blank", rel: "noopener noreferrer", class: "consent-reference" }, reference)
        : h("span", { class: "consent-reference" }, reference)
      : null;
    let evidence: HTMLElement | null = null;
    if (record.evidence_url) {
      evidence = this.canCurate
        ? h("a", { href: record.evidence_url, class: "consent-evidence", download: true }, "evidence file")
        : h("span", { class: "consent-evidence muted", title: "Curators can download it" }, "evidence on file");
    }
    const when = h("time", { datetime: record.recorded_at, title: formatAbsolute(record.recorded_at), class: "relative" }, formatRelative(record.recorded_at));
    const li = h(
      "li",
      { class: "consent-item", "data-consent-id": record.id, "data-basis": record.basis },
      h(
        "div",
        { class: "consent-head" },
        h("span", { class: `badge badge-basis badge-basis-${record.basis}`, title: record.basis_label }, record.basis_label),
        h("strong", { class: "consent-subject" }, record.subject),
      ),
      h("p", { class: "consent-scope" }, record.scope),
      h(
        "p",
        { class: "consent-meta muted" },
        refNode ? h("span", {}, "Reference: ", refNode) : null,
        refNode && evidence ? " · " : null,
        evidence,
        refNode || evidence ? " · " : null,
        `recorded by ${record.recorded_by ?? "someone"} `,
        when,
      ),
    );
    if (this.isOwner) {
      const remove = h("button", { type: "button", class: "btn btn-small btn-danger consent-delete", "aria-label": `Delete the record for ${record.subject}` }, "Delete");
      remove.addEventListener("click", () => void this.remove(record, remove));
      li.append(h("div", { class: "consent-actions" }, remove));
    }
    return li;
  }

  private async remove(record: ConsentRecord, button: HTMLButtonElement): Promise<void> {
    if (!window.confirm(`Delete the ${record.basis_label.toLowerCase()} record for “${record.subject}”?`)) return;
    button.disabled = true;
    const url = `${(this.api.split("?")[0] ?? "").replace(/\/?$/, "/")}${record.id}/`;
    try {
      await deleteRecord(url);
      this.showStatus("Record deleted.", false);
      await this.refresh();
    } catch (err) {
      button.disabled = false;
      this.showStatus(err instanceof ApiError ? err.describe() : "Could not delete the record.", true);
    }
  }

  private buildForm(): HTMLFormElement {
    const basis = h(
      "select",
      { name: "basis", id: "consent-basis", required: true },
      ...CONSENT_BASES.map(([value, label]) => h("option", { value }, label)),
    );
    const subject = h("input", { name: "subject", id: "consent-subject", maxlength: 200, required: true, placeholder: "Jane Doe, or CC BY 4.0" });
    const scope = h("textarea", { name: "scope", id: "consent-scope", rows: 2, required: true, placeholder: "e.g. research on deepfake detection; no publication of the fakes" });
    const reference = h("input", { name: "reference", id: "consent-reference", maxlength: 500, placeholder: "URL or document number" });
    const evidence = h("input", { type: "file", name: "evidence", id: "consent-evidence" });
    const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Add record");
    const field = (label: string, id: string, control: HTMLElement, help?: string): HTMLDivElement =>
      h("div", { class: "field" }, h("label", { for: id }, label), control, help ? h("span", { class: "help" }, help) : null);
    const form = h(
      "form",
      { class: "consent-form", id: "consent-form" },
      h("h3", {}, "Add a record"),
      h(
        "div",
        { class: "consent-form-grid" },
        field("Basis", "consent-basis", basis),
        field("Subject", "consent-subject", subject, "Who consented, or the licence's name"),
        field("Reference", "consent-reference", reference, "Where the evidence is kept; or attach it"),
        field("Evidence file", "consent-evidence", evidence, "Signed form, licence text (optional)"),
        h("div", { class: "field consent-scope-field" }, h("label", { for: "consent-scope" }, "Scope"), scope, h("span", { class: "help" }, "What the consent or licence allows")),
      ),
      submit,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.add(form, submit);
    });
    return form;
  }

  private async add(form: HTMLFormElement, submit: HTMLButtonElement): Promise<void> {
    const data = new FormData(form);
    const file = data.get("evidence");
    if (file instanceof File && file.size === 0 && !file.name) data.delete("evidence");
    const reference = String(data.get("reference") ?? "").trim();
    if (!reference && !data.has("evidence")) {
      this.showStatus("Give a reference or attach the evidence.", true);
      return;
    }
    submit.disabled = true;
    try {
      const record = await postConsent(this.api, data);
      form.reset();
      this.showStatus(`Recorded: ${record.basis_label.toLowerCase()}, ${record.subject}.`, false);
      await this.refresh();
    } catch (err) {
      this.showStatus(err instanceof ApiError ? err.describe() : "Could not add the record.", true);
    } finally {
      submit.disabled = false;
    }
  }

  private showStatus(message: string, error: boolean): void {
    setText(this.status, message);
    this.status.classList.toggle("error-text", error);
    this.status.classList.toggle("success-text", !error);
  }
}

/** Mounts the card on `#consent-root` if the page has one. */
export function mountConsentCard(): ConsentCard | null {
  const root = document.getElementById("consent-root");
  if (!root) return null;
  const card = new ConsentCard(root);
  void card.refresh();
  return card;
}
