// Project review page: my inbox, the videos table (assign, gold), agreement and
// disagreements, and (owners) the blind review switch. Every address comes from the
// page's data attributes; every figure from the review API, which applies blind
// review and keeps gold videos secret from reviewers.
import { ApiError } from "../api/client";
import { setBlindReview } from "../api/review";
import { dataBool, dataUrls, onReady, setText } from "../shared/dom";
import { ReviewAgreement } from "../review/reviewAgreement";
import { ReviewInbox } from "../review/reviewInbox";
import { ReviewQueue } from "../review/reviewQueue";

interface ReviewUrls {
  reviews: string;
  agreement: string;
  inbox: string;
  assignments: string;
  gold: string;
  members: string;
  project: string;
  workspace: string;
  report: string;
}

function readUrls(root: HTMLElement): ReviewUrls {
  return dataUrls(root, ["reviews", "agreement", "inbox", "assignments", "gold", "members", "project", "workspace", "report"] as const);
}

/** The owner's blind review switch: saved at once, put back if the save fails. */
function mountBlindSwitch(projectUrl: string): void {
  const toggle = document.getElementById("blind-review-toggle") as HTMLInputElement | null;
  const status = document.getElementById("blind-review-status");
  if (!toggle || !status) return;
  toggle.addEventListener("change", () => {
    const on = toggle.checked;
    toggle.disabled = true;
    setText(status, "Saving…");
    status.className = "muted";
    setBlindReview(projectUrl, on)
      .then((project) => {
        toggle.checked = project.blind_review;
        setText(status, project.blind_review ? "Saved: blind review is on." : "Saved: blind review is off.");
        status.className = "success-text";
      })
      .catch((err: unknown) => {
        toggle.checked = !on;
        setText(status, err instanceof ApiError ? err.describe() : "Could not save the setting.");
        status.className = "error-text";
      })
      .finally(() => {
        toggle.disabled = false;
      });
  });
}

onReady(() => {
  const page = document.getElementById("review-page");
  if (!page) return;
  const urls = readUrls(page);
  const canCurate = dataBool(page, "canCurate");
  const isOwner = dataBool(page, "isOwner");
  const canAnnotate = dataBool(page, "canAnnotate");

  const inboxRoot = document.getElementById("inbox-root");
  const inbox = canAnnotate && inboxRoot ? new ReviewInbox(inboxRoot, urls.inbox, urls.workspace, urls.report) : null;

  const agreementRoot = document.getElementById("agreement-root");
  const agreement = agreementRoot
    ? new ReviewAgreement(agreementRoot, document.getElementById("disagreements-root"), {
        url: urls.agreement,
        workspaceTemplate: urls.workspace,
        reportTemplate: urls.report,
        isOwner,
        seesGold: canCurate,
      })
    : null;

  const queueRoot = document.getElementById("queue-root");
  if (queueRoot) {
    const queue = new ReviewQueue(queueRoot, {
      reviewsUrl: urls.reviews,
      assignmentsUrl: urls.assignments,
      goldTemplate: urls.gold,
      membersUrl: urls.members,
      workspaceTemplate: urls.workspace,
      reportTemplate: urls.report,
      canAnnotate,
      canCurate,
      isOwner,
      onChanged: () => {
        void inbox?.load();
        void agreement?.load();
      },
    });
    void queue.start();
  }
  void inbox?.load();
  void agreement?.load();
  if (isOwner) mountBlindSwitch(urls.project);
});
