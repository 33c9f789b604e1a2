// Projects list: focus the "new project" name field when there is nothing else to do;
// the "import a dataset export" card.
import { onReady } from "../shared/dom";
import { startRelativeTimes } from "../shared/format";
import { mountImportCard } from "../exports/importCard";

onReady(() => {
  const explicit = document.querySelector<HTMLInputElement>("[data-autofocus]");
  const hasProjects = document.querySelector(".project-list > *") !== null;
  const nameInput = explicit ?? (hasProjects ? null : document.querySelector<HTMLInputElement>('form input[name="name"]'));
  nameInput?.focus();
  startRelativeTimes();
  mountImportCard();
});
