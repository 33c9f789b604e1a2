// Human-readable numbers, durations and times.

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/** 75.4 → "1:15"; 3725 → "1:02:05". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** 4.92 → "00:04.920"; past an hour "1:02:03.040". */
export function formatTimecode(seconds: number): string {
  const safe = Math.max(0, seconds);
  const ms = Math.round(safe * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const rest = `${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
  return h > 0 ? `${h}:${rest}` : rest;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** Bytes per second → "12.3 MB/s". */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return "";
  return `${(bytesPerSecond / (1024 * 1024)).toFixed(1)} MB/s`;
}

/** 80 → "~1m 20s left"; 7260 → "~2h 1m left". */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "";
  const total = Math.max(1, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `~${h}h ${m}m left`;
  if (m > 0) return `~${m}m ${s}s left`;
  return `~${s}s left`;
}

/** ISO timestamp → "just now", "2 min ago", "3 h ago", "yesterday", "12 Mar". */
export function formatRelative(iso: string | null, now: number = Date.now()): string {
  if (!iso) return "";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 0) return "just now"; // small clock skew between browser and server
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days === 1) return "yesterday";
  if (days < 7) return `${days} days ago`;
  const date = new Date(then);
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return date.toLocaleDateString(undefined, sameYear
    ? { day: "numeric", month: "short" }
    : { day: "numeric", month: "short", year: "numeric" });
}

/** Absolute local time for tooltips. */
export function formatAbsolute(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
}

/** "extract_faces" → "extract faces". */
export function humanize(identifier: string): string {
  return identifier.replace(/[_-]+/g, " ").trim();
}

/**
 * Keeps `<time class="relative" datetime="…">` elements in server-rendered
 * pages reading "2 min ago", refreshed every 30 s.
 */
export function startRelativeTimes(root: ParentNode = document): void {
  const update = (): void => {
    for (const el of root.querySelectorAll<HTMLTimeElement>("time.relative[datetime]")) {
      const iso = el.getAttribute("datetime");
      const text = formatRelative(iso);
      if (text && el.textContent !== text) el.textContent = text;
      if (!el.title) el.title = formatAbsolute(iso);
    }
  };
  update();
  window.setInterval(update, 30_000);
}
