// Comments panel: threads anchored at frames. A new thread starts at the frame on
// screen; replies join their thread. Clicking a thread's frame jumps there.
import { ApiError } from "../api/client";
import { type Comment, createComment, deleteComment } from "../api/review";
import { h } from "../shared/dom";
import { formatRelative, formatTimecode } from "../shared/format";
import type { TimelineModel } from "./timeline/model";

export interface CommentPanelOptions {
  root: HTMLElement;
  model: TimelineModel;
  mediaId: number;
  commentsUrl: string;
  commentUrl(id: number): string;
  username: string;
  canAnnotate: boolean;
  canCurate: boolean;
  seek(frame: number): void;
  notify(text: string, tone?: "ok" | "error" | "warn"): void;
  onChange(): void;
}

export class CommentPanel {
  private readonly box: HTMLTextAreaElement;
  private readonly frameLabel: HTMLElement;
  private readonly list: HTMLElement;

  constructor(private readonly options: CommentPanelOptions) {
    this.box = h("textarea", { rows: 2, name: "comment", placeholder: "Comment on this frame…" });
    this.frameLabel = h("span", { class: "mono" });
    this.list = h("div", { class: "comment-threads" });
    const post = h("button", { type: "submit", class: "btn btn-small" }, "Comment");
    const form = h("form", { class: "comment-form" }, h("label", {}, "At frame ", this.frameLabel, this.box), post);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.post(this.box, options.model.frame, null);
    });
    options.root.replaceChildren(options.canAnnotate ? form : h("p", { class: "muted small" }, "Reviewers and above can comment."), this.list);
    options.model.onChange((reason) => {
      if (reason === "frame") this.showFrame();
    });
    this.showFrame();
    this.render();
  }

  focus(): void {
    this.box.focus();
  }

  private showFrame(): void {
    this.frameLabel.textContent = String(this.options.model.frame);
  }

  render(): void {
    const { model } = this.options;
    const roots = model.comments.filter((c) => c.parent === null);
    const replies = new Map<number, Comment[]>();
    for (const c of model.comments) {
      if (c.parent !== null) replies.set(c.parent, [...(replies.get(c.parent) ?? []), c]);
    }
    this.list.replaceChildren(
      ...(roots.length ? roots.map((root) => this.thread(root, replies.get(root.id) ?? [])) : [h("p", { class: "muted small" }, "No comments yet.")]),
    );
  }

  private thread(root: Comment, replies: Comment[]): HTMLElement {
    const jump = h("button", { type: "button", class: "link-button mono" }, `frame ${root.frame} · ${formatTimecode(root.frame / this.options.model.fps)}`);
    jump.addEventListener("click", () => this.options.seek(root.frame));
    const replyBox = h("textarea", { rows: 1, placeholder: "Reply…" });
    const replyForm = h("form", { class: "reply-form" }, replyBox, h("button", { type: "submit", class: "btn btn-small" }, "Reply"));
    replyForm.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.post(replyBox, root.frame, root.id);
    });
    return h("article", { class: "comment-thread", "data-comment-id": root.id, "data-frame": root.frame },
      h("header", {}, jump),
      this.comment(root),
      ...replies.map((reply) => this.comment(reply)),
      this.options.canAnnotate ? replyForm : null);
  }

  private comment(comment: Comment): HTMLElement {
    const mine = comment.author === this.options.username;
    const remove = mine || this.options.canCurate
      ? h("button", { type: "button", class: "link-button small", title: "Delete this comment" }, "delete") : null;
    remove?.addEventListener("click", () => void this.remove(comment));
    return h("div", { class: `comment${comment.parent ? " reply" : ""}` },
      h("p", { class: "comment-meta small" }, h("strong", {}, comment.author ?? "?"), ` · ${formatRelative(comment.created_at)} `, remove),
      h("p", { class: "comment-body" }, comment.body));
  }

  private async post(box: HTMLTextAreaElement, frame: number, parent: number | null): Promise<void> {
    const body = box.value.trim();
    if (!body) return;
    try {
      const comment = await createComment(this.options.commentsUrl, this.options.mediaId, frame, body, parent);
      box.value = "";
      this.options.model.comments = [...this.options.model.comments, comment];
      this.render();
      this.options.onChange();
    } catch (err) {
      this.options.notify(err instanceof ApiError ? err.describe() : String(err), "error");
    }
  }

  private async remove(comment: Comment): Promise<void> {
    try {
      await deleteComment(this.options.commentUrl(comment.id));
      const gone = new Set([comment.id]);
      this.options.model.comments = this.options.model.comments.filter((c) => !gone.has(c.id) && !gone.has(c.parent ?? -1));
      this.render();
      this.options.onChange();
    } catch (err) {
      this.options.notify(err instanceof ApiError ? err.describe() : String(err), "error");
    }
  }
}
