// Bundles the page scripts and the stylesheet into deepreview/web/static/ (the web
// app's static folder, so a non-editable `pip install .` ships it as package data):
// js/<page>.js, css/app.css and vendor/ (prebuilt libraries copied from node_modules).
// The folder is generated and ignored by git.
//   node build.mjs          one minified build with source maps
//   node build.mjs --watch  rebuild on change (type errors: run `npm run typecheck`)
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "..", "deepreview", "web", "static");
const watch = process.argv.includes("--watch");

/** @type {esbuild.BuildOptions} */
const common = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  sourcemap: true,
  // Browsers with native ES modules, requestVideoFrameCallback-era or not.
  target: ["es2020", "chrome90", "firefox90", "safari15"],
  logLevel: "info",
  legalComments: "none",
};

const builds = [
  {
    ...common,
    // One self-contained module per page, no shared chunks: Django's manifest
    // storage renames files by hash and would not rewrite chunk imports.
    entryPoints: [
      "src/pages/project.ts",
      "src/pages/video.ts",
      "src/pages/projects.ts",
      "src/pages/faceset.ts",
      "src/pages/swapModel.ts",
      "src/pages/detection.ts",
      "src/pages/review.ts",
      "src/pages/reviewDashboard.ts",
      "src/pages/reviewReport.ts",
      "src/pages/exports.ts",
    ],
    outdir: join(dist, "js"),
    format: "esm",
    splitting: false,
  },
  {
    ...common,
    entryPoints: ["src/styles/app.css"],
    outdir: join(dist, "css"),
  },
];

// Prebuilt libraries shipped as they are, loaded by a classic <script> before
// the page module (Plotly is 4.8 MB; bundling it into every page would not pay).
const vendor = [["node_modules/plotly.js-dist-min/plotly.min.js", "plotly.min.js"]];

async function copyVendor() {
  await mkdir(join(dist, "vendor"), { recursive: true });
  await Promise.all(vendor.map(([from, to]) => copyFile(join(root, from), join(dist, "vendor", to))));
  // The brand mark of the top bar as the tab icon (browsers ask for one on every page).
  await copyFile(join(root, "src", "favicon.svg"), join(dist, "favicon.svg"));
}

await rm(dist, { recursive: true, force: true });
await copyVendor();

if (watch) {
  const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
  await Promise.all(contexts.map((ctx) => ctx.watch()));
  console.log("watching frontend/src for changes (Ctrl+C to stop)");
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
