"""Executes the notebooks headless (nbclient), saving executed copies and their PNG figures.

usage: python notebooks/run.py OUT_DIR   (RESTRACE_DB / RESTRACE_CAPTURE choose the data)
Prints one JSON line: {"notebook": {"pngs": N, "task_counts": {...}}}; exits 1 on a cell error.
"""
import base64, json, os, sys
import nbformat
from nbclient import NotebookClient

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "out"))
os.makedirs(out, exist_ok=True)
summary = {}
for name in ["transfer-health", "capture-explorer"]:
    nb = nbformat.read(os.path.join(here, f"{name}.ipynb"), as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": here}}).execute()
    nbformat.write(nb, os.path.join(out, f"{name}.ipynb"))
    pngs, counts = 0, None
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            if "image/png" in data:
                pngs += 1
                with open(os.path.join(out, f"{name}-{pngs}.png"), "wb") as f:
                    f.write(base64.b64decode(data["image/png"]))
            for line in o.get("text", "").splitlines():
                if line.startswith("TASK_COUNTS "):
                    counts = json.loads(line[len("TASK_COUNTS "):])
    summary[name] = {"pngs": pngs, "task_counts": counts}
print(json.dumps(summary, sort_keys=True))
