#!/usr/bin/env python3
"""`make bench`: runs every benchmark piece (bench_gen.py, bench_codec.py,
bench_import.py, bench_output.py, bench_rpc.py), each writing JSON into
bench/results/, then renders bench/REPORT.md and bench/plots/*.png (and
parse.md from the generator run).

Every figure is a ratio against peers measured in the same run, peers taking
turns, medians of several rounds with their spread. The whole run keeps to a
wall-clock budget (--budget, default 1040 s, BENCH_BUDGET): each piece gets a
deadline and drops its optional extra rounds, never its first ones, when time
runs short. The generator's deadline is the one it had before the import and
output pieces were added (start + 700 s); they take about 2-3 minutes.

Usage: report.py --moonstub BIN --corpus DIR [--budget SECONDS] [--label TEXT]
       report.py --render-only        (re-render from bench/results/*.json)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
PLOTS = HERE / "plots"
sys.path.insert(0, str(HERE))


# ---------------------------------------------------------------- environment

def sh(cmd: list[str], strip: bool = True, **kw: Any) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw).stdout
        return out.strip() if strip else out
    except (OSError, subprocess.SubprocessError):
        return ""


def environment(moonstub: Path) -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    except (OSError, AttributeError):
        mem_kb = 0
    os_name = ""
    try:
        os_name = re.search(r'PRETTY_NAME="([^"]+)"', Path("/etc/os-release").read_text()).group(1)  # type: ignore[union-attr]
    except (OSError, AttributeError):
        pass
    from importlib import metadata

    packages = {}
    for name in ("grpcio", "grpcio-tools", "protobuf", "grpclib", "aristaproto", "pyfory", "fory-compiler",
                 "protobuf-py", "protobuf-py-ext", "protoc-gen-py", "betterproto2", "betterproto2-compiler",
                 "matplotlib", "ruff"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "not installed"
    upb = sh([sys.executable, "-c", "from google.protobuf.internal import api_implementation as a; print(a.Type())"])
    dirty = sh(["git", "status", "--porcelain", "--", "core", "emitters", "rules", "Makefile"], strip=False, cwd=REPO)
    # a binary outside the work tree (a build of another checkout) says nothing about this tree's changes
    in_tree = moonstub.is_relative_to(REPO)
    return {
        "cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(mem_kb / 2**20, 1), "kernel": platform.release(),
        "os": os_name, "machine": platform.machine(), "python": platform.python_version(),
        "packages": packages, "protobuf_backend": upb,
        "protoc": sh([sys.executable, "-m", "grpc_tools.protoc", "--version"]),
        "moonstub": sh([str(moonstub), "--version"]),
        "moonstub_path": str(moonstub.relative_to(REPO) if in_tree else moonstub),
        "moonstub_in_tree": in_tree,
        "commit": sh(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO),
        "commit_subject": sh(["git", "log", "-1", "--format=%s"], cwd=REPO)[:100],
        "dirty": [ln[3:] for ln in dirty.splitlines() if len(ln) > 3] if in_tree else [],
        "gcc": sh(["gcc", "-dumpfullversion"]), "perf": sh(["perf", "--version"]),
        "load_start": os.getloadavg()[0], "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
    }


# ---------------------------------------------------------------- running

def run_piece(name: str, cmd: list[str], deadline: float) -> float:
    env = dict(os.environ, BENCH_DEADLINE=str(deadline))
    print(f"== {name}: {' '.join(cmd[1:3])} ... ({deadline - time.time():.0f} s budget)", flush=True)
    start = time.time()
    subprocess.run(cmd, env=env, check=True)
    took = time.time() - start
    print(f"== {name}: {took:.0f} s", flush=True)
    return took


def run_all(args: argparse.Namespace) -> None:
    start = time.time()
    RESULTS.mkdir(exist_ok=True)
    env_info = environment(args.moonstub)
    env_info["label"] = args.label
    py = sys.executable
    ms = str(args.moonstub)
    end = start + args.budget
    # deadlines: the generator gets what the later pieces leave (their minimum rounds take about 340 s on a
    # loaded machine: codec 60, import 70 plus a minute to generate protobuf-py's output when it is not cached,
    # output 40, RPC 90); each piece adds rounds only while its deadline allows
    took = {}
    corpus = str(args.corpus)
    took["gen"] = run_piece("generator", [py, str(HERE / "bench_gen.py"), "--moonstub", ms, "--corpus", corpus,
                                          "--json", str(RESULTS / "gen.json")], end - 340)
    took["codec"] = run_piece("codec", [py, str(HERE / "bench_codec.py"), "--moonstub", ms, "--corpus", corpus,
                                        "--repeat", "5", "--min-repeat", "3", "--json", str(RESULTS / "codec.json")],
                              min(end - 270, time.time() + 80))
    took["import"] = run_piece("import", [py, str(HERE / "bench_import.py"), "--moonstub", ms, "--corpus", corpus,
                                          "--rounds", "5", "--min-rounds", "3", "--json",
                                          str(RESULTS / "import.json")], min(end - 130, time.time() + 150))
    took["output"] = run_piece("output", [py, str(HERE / "bench_output.py"), "--moonstub", ms, "--corpus", corpus,
                                          "--gen-json", str(RESULTS / "gen.json"), "--json",
                                          str(RESULTS / "output.json")], end - 100)
    took["rpc"] = run_piece("rpc", [py, str(HERE / "bench_rpc.py"), "--moonstub", ms, "--repeat", "7",
                                    "--min-repeat", "3", "--json", str(RESULTS / "rpc.json")], end - 15)
    env_info["load_end"] = os.getloadavg()[0]
    env_info["pieces"] = took
    env_info["total_seconds"] = time.time() - start
    (RESULTS / "env.json").write_text(json.dumps(env_info, indent=1, sort_keys=True) + "\n")


# ---------------------------------------------------------------- rendering helpers

def load(name: str) -> Any:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def fmt_s(x: float) -> str:
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 10 else f"{x:.1f}"


def fmt_ratio(x: float) -> str:
    return f"{x:.2f}x" if x < 10 else f"{x:.0f}x"


def paired(peer: list[float], base: list[float]) -> dict[str, float]:
    """Ratio peer/base: median of the ratios of the same round (peers took
    turns), and their min-max; runs that were single get the one value."""
    import statistics

    if len(peer) == len(base) and len(peer) > 1:
        rs = [p / b for p, b in zip(peer, base)]
    else:
        med_b = statistics.median(base)
        rs = [p / med_b for p in peer]
    return {"median": statistics.median(rs), "min": min(rs), "max": max(rs), "n": len(rs)}


def cases_by(gen: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["workload"], c["peer"]): c for c in gen["cases"]}


# ---------------------------------------------------------------- plots

def plots(gen: Any, codec: Any, rpc: Any, imp: Any = None) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    PLOTS.mkdir(exist_ok=True)
    made = []

    def bars(ax: Any, labels: list[str], vals: list[dict[str, float]], colors: Any = "C1") -> None:
        xs = range(len(labels))
        med = [v["median"] for v in vals]
        err = [[m - v["min"] for m, v in zip(med, vals)], [v["max"] - m for m, v in zip(med, vals)]]
        ax.bar(xs, med, yerr=err, capsize=4, color=colors)
        ax.set_xticks(list(xs))
        ax.set_xticklabels(labels, rotation=20, ha="right", fontsize=8)
        for x, m in zip(xs, med):
            ax.text(x, m, fmt_ratio(m), ha="center", va="bottom", fontsize=8)

    if gen:
        cs = cases_by(gen)
        # 1. googleapis and subset ratios
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for ax, wl, base in ((axes[0], "googleapis", "moonstub --grpc"), (axes[1], "core-subset", "moonstub --grpc")):
            b = cs.get((wl, base))
            if not b or not b.get("runs"):
                continue
            labels, vals = [], []
            for (w, p), c in cs.items():
                if w == wl and c.get("runs") and p != base and p not in ("moonstub --summary",):
                    labels.append(p)
                    vals.append(paired([r["wall"] for r in c["runs"]], [r["wall"] for r in b["runs"]]))
            bars(ax, labels, vals, colors=["C0" if p.startswith("moonstub") else "C1" for p in labels])
            ax.axhline(1.0, color="black", lw=0.8)
            ax.set_yscale("log")
            ax.set_title(f"{wl}: wall time / moonstub --grpc's", fontsize=9)
        fig.tight_layout()
        fig.savefig(PLOTS / "gen_googleapis.png", dpi=110)
        plt.close(fig)
        made.append("gen_googleapis.png")
        # 2. log-log time and memory vs message count
        series = [("proto", "moonstub --grpc", "moonstub (.proto, --grpc)", "C0", "o-"),
                  ("proto", "protoc", "grpc_tools.protoc (--python_out --grpc_python_out)", "C1", "s-"),
                  ("proto", "aristaproto", "aristaproto plugin", "C2", "^-"),
                  ("proto", "foryc (.proto)", "foryc --grpc (.proto)", "C4", "v:"),
                  ("fdl", "moonstub --grpc", "moonstub (.fdl, --grpc)", "C0", "o--"),
                  ("fdl", "foryc", "foryc --grpc (.fdl)", "C3", "d--")]
        for metric, fname, ylabel in (("wall", "gen_scaling.png", "wall seconds"),
                                      ("rss_mb", "gen_memory.png", "peak RSS, MiB")):
            fig, ax = plt.subplots(figsize=(8, 5))
            for kind, peer, label, color, style in series:
                pts = [(n, cs[(f"synth-{kind}-{n}", peer)]) for n in gen["sizes"] if (f"synth-{kind}-{n}", peer) in cs]
                pts = [(n, c[metric]) for n, c in pts if c.get("runs")]
                if not pts:
                    continue
                xs = [n for n, _ in pts]
                med = [s["median"] for _, s in pts]
                err = [[m - s["min"] for m, (_, s) in zip(med, pts)], [s["max"] - m for m, (_, s) in zip(med, pts)]]
                ax.errorbar(xs, med, yerr=err, fmt=style, color=color, label=label, capsize=3)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("messages in the synthetic schema")
            ax.set_ylabel(ylabel)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
            ax.set_title(f"Generation, schema files to written Python: {ylabel} vs size", fontsize=10)
            fig.tight_layout()
            fig.savefig(PLOTS / fname, dpi=110)
            plt.close(fig)
            made.append(fname)
        # 3. perf categories
        perf = gen.get("perf") or {}
        if perf.get("categories"):
            cats = sorted(perf["categories"].items(), key=lambda kv: -kv[1])[:10][::-1]
            fig, ax = plt.subplots(figsize=(8, 4))
            ax.barh([c for c, _ in cats], [v for _, v in cats], color="C0")
            for i, (_, v) in enumerate(cats):
                ax.text(v, i, f" {v:.1f}%", va="center", fontsize=8)
            ax.set_xlabel("% of moonstub's user-space samples (perf), googleapis --grpc")
            ax.tick_params(axis="y", labelsize=8)
            fig.tight_layout()
            fig.savefig(PLOTS / "gen_profile.png", dpi=110)
            plt.close(fig)
            made.append("gen_profile.png")
    variants = [m for m in codec["moonstub"] if m in codec["ratios"]] if codec_ok(codec) else []
    if variants:
        others = [p for p in codec["others"] if p in codec["stats"]]
        shapes = codec["shapes"]
        fig, axes = plt.subplots(len(variants), 3, figsize=(15, 4.2 * len(variants)), sharey=True, squeeze=False)
        width = 0.8 / max(1, len(others))
        for row, m in zip(axes, variants):
            for ax, op in zip(row, codec["ops"]):
                for i, p in enumerate(others):
                    vals = [codec_ratio(codec, m, p, sh, op) or {"median": float("nan"), "min": float("nan"),
                                                                 "max": float("nan")} for sh in shapes]
                    xs = [j + i * width for j in range(len(shapes))]
                    med = [v["median"] for v in vals]
                    err = [[md - v["min"] for md, v in zip(med, vals)], [v["max"] - md for md, v in zip(med, vals)]]
                    ax.bar(xs, med, width, yerr=err, capsize=2, label=p)
                ax.axhline(1.0, color="black", lw=0.8)
                ax.set_yscale("log")
                ax.set_xticks([j + 0.4 - width / 2 for j in range(len(shapes))])
                ax.set_xticklabels(shapes)
                ax.set_title(f"{op}: {m}'s time / peer's (below 1: moonstub faster)", fontsize=9)
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper center", ncol=len(others), fontsize=8)
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.25 / len(variants) / 4.2 * 2))
        fig.savefig(PLOTS / "codec_ratios.png", dpi=110)
        plt.close(fig)
        made.append("codec_ratios.png")
    if imp:
        fig, ax = plt.subplots(figsize=(9, 4))
        labels, vals = [], []
        for p in [x for x in imp["peers"] if x in imp["ratios"]]:
            r = imp["ratios"][p]
            for state in ("cold", "warm"):
                for key, name in (("import_s", "time"), ("rss_mb", "peak RSS")):
                    labels.append(f"vs {p}\n{state} {name}")
                    vals.append(r[state][key])
        bars(ax, labels, vals, colors=[f"C{i // 4}" for i in range(len(labels))])
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_yscale("log")
        ax.set_ylabel("moonstub / peer (below 1: moonstub better)")
        ax.set_title(f"Importing {imp['target']} ({imp['messages']:,} messages)", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        fig.tight_layout()
        fig.savefig(PLOTS / "import_ratios.png", dpi=110)
        plt.close(fig)
        made.append("import_ratios.png")
    if rpc:
        fig, ax = plt.subplots(figsize=(11, 4))
        labels, vals = [], []
        for label, ours, theirs in rpc["pairs"]:
            for key, name, higher in RPC_METRICS:
                labels.append(f"{label}\n{name}")
                vals.append(rpc_ratio(rpc, ours, theirs, key, higher))
        bars(ax, labels, vals, colors=[f"C{i // 4}" for i in range(len(labels))])
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_yscale("log")
        ax.set_ylabel("moonstub vs peer (>1: moonstub better)")
        ax.tick_params(axis="x", labelsize=7)
        fig.tight_layout()
        fig.savefig(PLOTS / "rpc_ratios.png", dpi=110)
        plt.close(fig)
        made.append("rpc_ratios.png")
    return made


RPC_METRICS = (("unary", "unary/s", True), ("p50", "p50", False), ("p99", "p99", False), ("stream", "stream/s", True))


def ratio_stats(peer: dict[str, float], base: dict[str, float]) -> dict[str, float]:
    """peer/base with the spread of both (min/max over max/min)."""
    return {"median": peer["median"] / base["median"], "min": peer["min"] / base["max"],
            "max": peer["max"] / base["min"]}


def rpc_ratio(rpc: dict[str, Any], ours: str, theirs: str, key: str, higher: bool) -> dict[str, float]:
    o = [r[key] for r in rpc["runs"][ours]]
    t = [r[key] for r in rpc["runs"][theirs]]
    return paired(o, t) if higher else paired(t, o)


# ---------------------------------------------------------------- report text

def gen_section(gen: dict[str, Any], out: list[str], targets: list[list[str]], findings: list[str]) -> None:
    cs = cases_by(gen)
    out += ["## 1. Generator speed: schema files to written Python", "",
            f"Every run is one invocation over all the files of the workload, writing into an empty folder. "
            f"Peers take turns, {gen['rounds']} rounds (slow peers at large sizes run once, as marked `n=1`); "
            "median wall time with min-max, the median of the per-round ratios to moonstub, CPU time (user + sys "
            "of the whole process tree, steadier than wall time on a shared machine), peak RSS of the largest "
            "process (GNU time's %M), and the bytes written. protoc is grpcio-tools' "
            "(`python -m grpc_tools.protoc`), as "
            "the aristaproto plugin is run.", ""]
    ga = gen.get("googleapis")
    if ga:
        base = cs[("googleapis", "moonstub --grpc")]
        out += [f"### googleapis ({ga['files']:,} files outside `preview/`, {ga['messages']:,} messages)", "",
                "| generator | wall s (min-max, n) | wall / moonstub --grpc's (min-max) | CPU s "
                "| CPU / moonstub --grpc's | peak RSS MiB | output MB |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for peer in ("moonstub parse+link", "moonstub --dump-model", "moonstub", "moonstub --grpc", "protoc",
                     "protoc --descriptor_set_out"):
            c = cs.get(("googleapis", peer))
            if not c or not c.get("runs"):
                continue
            out.append(gen_row(c, base, peer))
        out.append("")
        p = cs.get(("googleapis", "protoc"))
        if p and p.get("runs") and base.get("runs"):
            r = paired([x["wall"] for x in p["runs"]], [x["wall"] for x in base["runs"]])
            rc = paired([x["cpu"] for x in p["runs"]], [x["cpu"] for x in base["runs"]])
            m = cs[("googleapis", "moonstub")]
            rm = paired([x["wall"] for x in p["runs"]], [x["wall"] for x in m["runs"]])
            met = r["median"] > 1
            targets.append(["moonstub --grpc faster than protoc on googleapis",
                            f"protoc takes {fmt_ratio(r['median'])} moonstub's wall time "
                            f"(CPU: {fmt_ratio(rc['median'])}; "
                            f"messages only: {fmt_ratio(rm['median'])})", "met" if met else
                            f"missed: moonstub is {100 * (1 / r['median'] - 1):.0f}% slower"])
    sub = gen.get("core-subset")
    if sub:
        base = cs[("core-subset", "moonstub --grpc")]
        out += [f"### googleapis core subset ({sub['files']} files, {sub['messages']:,} messages) "
                "— the set aristaproto can do", "",
                "Folders: " + ", ".join(f"`{s}`" for s in gen["subset"]) + ". "
                f"aristaproto on all of googleapis is not attempted: on `google/cloud/bigquery/v2` alone it ends with "
                f"`{gen['notes'].get('aristaproto_bigquery_v2', '?')[:160]}` (its plugin pipes every module through "
                "`ruff check --fix`, which rejects that output), and a trial over the whole tree ran for over 10 "
                "minutes before failing the same way.", "",
                "| generator | wall s (min-max, n) | wall / moonstub --grpc's (min-max) | CPU s "
                "| CPU / moonstub --grpc's | peak RSS MiB | output MB |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for peer in ("moonstub --grpc", "protoc", "aristaproto"):
            c = cs.get(("core-subset", peer))
            if c and c.get("runs"):
                out.append(gen_row(c, base, peer))
            elif c:
                out.append(f"| {peer} | {c['note']} | | | | | |")
        out.append("")
        a = cs.get(("core-subset", "aristaproto"))
        if a and a.get("runs"):
            r = paired([x["wall"] for x in a["runs"]], [x["wall"] for x in base["runs"]])
            targets.append(["moonstub at least 20x faster than aristaproto (googleapis core subset)",
                            f"{fmt_ratio(r['median'])}", "met" if r["median"] >= 20 else
                            f"missed by {100 * (1 - r['median'] / 20):.0f}%"])
    out += ["![googleapis ratios](plots/gen_googleapis.png)", ""]
    if gen.get("notes", {}).get("foryc_pubsub"):
        out += [f"foryc cannot take googleapis: on `google/pubsub/v1/pubsub.proto` it stops with "
                f"`{gen['notes']['foryc_pubsub']}` (aggregate option values), so it is compared on the synthetic "
                "schemas only.", ""]
    # synthetic
    out += [f"### Synthetic schemas, 10 to {max(gen['sizes']):,} messages", "",
            f"`bench/synth.py`: files of at most {gen['per_file']} messages, each its own package importing a "
            "common first file; eight fields a message (scalars, string, repeated, map, enum, a message reference, "
            "optional double, bytes), one enum and one service a file, an RPC every tenth message (all four "
            "shapes); the `.fdl` twin has the same structure with explicit type ids. Cells: median wall seconds "
            "(min-max, n) and in brackets the time relative to moonstub's on the same schema language.", ""]
    peers = [("proto", "moonstub --grpc"), ("proto", "protoc"), ("proto", "aristaproto"), ("proto", "foryc (.proto)"),
             ("fdl", "moonstub --grpc"), ("fdl", "foryc")]
    out += ["| messages | " + " | ".join(f"{p} ({k})" for k, p in peers) + " |", "| --- |" + " --- |" * len(peers)]
    for n in gen["sizes"]:
        cells = []
        for kind, peer in peers:
            c = cs.get((f"synth-{kind}-{n}", peer))
            b = cs.get((f"synth-{kind}-{n}", "moonstub --grpc"))
            if not c or not c.get("runs"):
                cells.append("—" if not c or not c.get("note") else c["note"].replace("not run: ", "not run, "))
                continue
            w = c["wall"]
            cell = f"{fmt_s(w['median'])} ({fmt_s(w['min'])}-{fmt_s(w['max'])}, n={w['n']})"
            if peer != "moonstub --grpc" and b and b.get("runs"):
                r = paired([x["wall"] for x in c["runs"]], [x["wall"] for x in b["runs"]])
                cell += f" [{fmt_ratio(r['median'])}]"
            cells.append(cell)
        out.append(f"| {n:,} | " + " | ".join(cells) + " |")
    out.append("")
    out += ["Peak RSS (MiB) of the same runs:", "", "| messages | " + " | ".join(f"{p} ({k})" for k, p in peers) + " |",
            "| --- |" + " --- |" * len(peers)]
    for n in gen["sizes"]:
        cells = []
        for kind, peer in peers:
            c = cs.get((f"synth-{kind}-{n}", peer))
            cells.append(f"{c['rss_mb']['median']:,.0f}" if c and c.get("runs") else "—")
        out.append(f"| {n:,} | " + " | ".join(cells) + " |")
    out += ["", "![time vs size](plots/gen_scaling.png)", "", "![memory vs size](plots/gen_memory.png)", ""]
    # headline numbers at the largest size and growth
    big = max(gen["sizes"])
    pairs_big = []
    for kind, peer in peers:
        if peer == "moonstub --grpc":
            continue
        c = cs.get((f"synth-{kind}-{big}", peer))
        b = cs.get((f"synth-{kind}-{big}", "moonstub --grpc"))
        if c and c.get("runs") and b and b.get("runs"):
            pairs_big.append((peer, kind, paired([x["wall"] for x in c["runs"]], [x["wall"] for x in b["runs"]])))
    for peer, kind, r in pairs_big:
        if peer == "protoc":
            targets.append([f"moonstub --grpc vs protoc at {big:,} messages (no target; for scale)",
                            f"protoc's time / moonstub's: {r['median']:.2f}",
                            "moonstub faster" if r["median"] > 1
                            else f"moonstub {100 * (1 / r['median'] - 1):.0f}% slower"])
    for kind, peer in (("proto", "aristaproto"), ("fdl", "foryc")):
        largest = [(n, cs[(f"synth-{kind}-{n}", peer)]) for n in gen["sizes"]
                   if cs.get((f"synth-{kind}-{n}", peer), {}).get("runs")]
        if not largest:
            continue
        n, c = largest[-1]
        b = cs[(f"synth-{kind}-{n}", "moonstub --grpc")]
        r = paired([x["wall"] for x in c["runs"]], [x["wall"] for x in b["runs"]])
        growth = ""
        if len(largest) >= 2:
            (n0, c0) = largest[-2]
            b0 = cs[(f"synth-{kind}-{n0}", "moonstub --grpc")]
            r0 = paired([x["wall"] for x in c0["runs"]], [x["wall"] for x in b0["runs"]])
            growth = f" (at {n0:,}: {fmt_ratio(r0['median'])})"
        status = "met" if r["median"] >= 20 else f"missed by {100 * (1 - r['median'] / 20):.0f}%"
        label = "moonstub at least 20x faster than " + ("aristaproto" if peer == "aristaproto"
                                                         else "foryc --grpc (.fdl)")
        targets.append([f"{label}, synthetic, largest size it was run at ({n:,} messages)",
                        f"{fmt_ratio(r['median'])}{growth}", status])
        if big > n:
            note = cs.get((f"synth-{kind}-{big}", peer), {}).get("note") or "not run"
            targets.append([f"... at {big:,} messages", note.replace("not run: ", "not run, "),
                            "not measured; see the growth in section 1"])


def gen_row(c: dict[str, Any], base: dict[str, Any], label: str) -> str:
    w, cpu = c["wall"], c["cpu"]
    r = paired([x["wall"] for x in c["runs"]], [x["wall"] for x in base["runs"]])
    rc = paired([x["cpu"] for x in c["runs"]], [x["cpu"] for x in base["runs"]])
    return (f"| {label} | {fmt_s(w['median'])} ({fmt_s(w['min'])}-{fmt_s(w['max'])}, n={w['n']}) | "
            f"{fmt_ratio(r['median'])} ({fmt_ratio(r['min'])}-{fmt_ratio(r['max'])}) | {fmt_s(cpu['median'])} | "
            f"{fmt_ratio(rc['median'])} | {c['rss_mb']['median']:,.0f} | "
            f"{c['out_bytes'] / 1e6:,.1f} |")


def profile_section(gen: dict[str, Any], out: list[str], findings: list[str]) -> None:
    cs = cases_by(gen)
    out += ["## Where moonstub's time goes (googleapis)", "",
            "Phases measured from the command line, each a superset of the one before (median CPU and wall time "
            "of the rounds above; `--summary` and `--check` once):", "",
            "| step | what it adds | CPU s | wall s | peak RSS MiB |", "| --- | --- | --- | --- | --- |"]
    rows = [("moonstub parse+link", "read, lex, parse, link (C)"),
            ("moonstub --dump-model", "+ model as JSON on stdout (C)"),
            ("moonstub --summary", "+ Lua state, model handed to Lua, naming rules, outline (no emitters)"),
            ("moonstub --check --grpc (emit, no write)", "+ message and gRPC emitters, nothing written"),
            ("moonstub", "messages: parse, link, Lua, emit, write"),
            ("moonstub --grpc", "+ gRPC companions, written")]
    phases = gen.get("phases", {})
    vals: dict[str, tuple[float, float, float]] = {}
    for peer, what in rows:
        c = cs.get(("googleapis", peer))
        if c and c.get("runs"):
            vals[peer] = (c["cpu"]["median"], c["wall"]["median"], c["rss_mb"]["median"])
        elif peer in phases:
            p = phases[peer]
            vals[peer] = (p["cpu"], p["wall"], p["rss_mb"])
        else:
            continue
        cpu, wall, rss = vals[peer]
        out.append(f"| `{peer}` | {what} | {fmt_s(cpu)} | {fmt_s(wall)} | {rss:,.0f} |")
    out.append("")
    if "moonstub --grpc" in vals and "moonstub parse+link" in vals:
        total = vals["moonstub --grpc"][0]
        front = vals["moonstub parse+link"][0]
        emit = vals.get("moonstub --check --grpc (emit, no write)", (None,))[0]
        summ = vals.get("moonstub --summary", (None,))[0]
        parts = [f"parse+link is {100 * front / total:.0f}% of the CPU time of `--grpc`"]
        if summ is not None:
            parts.append("getting the model into Lua and naming it (`--summary`) brings it to "
                         f"{100 * summ / total:.0f}%")
        if emit is not None:
            parts.append(f"emitting without writing (`--check`) to {100 * emit / total:.0f}%; writing the "
                         f"{cs[('googleapis', 'moonstub --grpc')]['out_bytes'] / 1e6:,.0f} MB of output is the rest")
        out.append("Reading it: " + "; ".join(parts) + ".")
        findings.append("; ".join(parts))
        out.append("")
    perf = gen.get("perf") or {}
    if perf.get("categories"):
        out += [f"perf profile (`{perf['command']}`, user-space samples; kernel time shows as the sys part of the "
                "CPU time above):", "", "| where | % of samples |", "| --- | --- |"]
        for cat, pct in sorted(perf["categories"].items(), key=lambda kv: -kv[1])[:10]:
            out.append(f"| {cat} | {pct:.1f} |")
        out += ["", "Hottest symbols:", "", "| % | where | symbol |", "| --- | --- | --- |"]
        for row in perf["top"][:12]:
            out.append(f"| {row['pct']:.1f} | {row['dso']} | `{row['symbol']}` |")
        out += ["", "![profile](plots/gen_profile.png)", ""]
    elif perf.get("error"):
        out += [f"perf could not profile: {perf['error']}", ""]


def codec_ok(codec: Any) -> bool:
    """codec.json of the current layout (moonstub's two codecs, per-round ratios)."""
    return bool(codec) and "ratios" in codec


def codec_ratio(codec: dict[str, Any], m: str, p: str, shape: str, op: str) -> dict[str, float] | None:
    return ((codec["ratios"].get(m) or {}).get(p) or {}).get(shape, {}).get(op)


def codec_span(codec: dict[str, Any], m: str, p: str, ops: tuple[str, ...] | list[str]) -> tuple[float, float] | None:
    """Lowest and highest median ratio m/p over the shapes and ops given."""
    meds = [r["median"] for sh in codec["shapes"] for op in ops if (r := codec_ratio(codec, m, p, sh, op))]
    return (min(meds), max(meds)) if meds else None


def codec_section(codec: dict[str, Any], out: list[str], targets: list[list[str]]) -> None:
    variants = [m for m in codec["moonstub"] if m in codec["stats"]]
    others = [p for p in codec["others"] if p in codec["stats"]]
    vers = codec.get("versions", {})
    out += ["## 2. Codec speed", "",
            f"Peers in their own processes, taking turns, {codec['rounds']} rounds, each figure the best of 3 timings. "
            "Shapes: `Small`, `Nested`, `Large` and `Ledger` (bench/shapes.proto; Ledger: 100 entries, each with an "
            "enum, a sint64, packed sint32s, repeated strings, a string map and two Timestamps, plus a sint64 map, "
            "packed sint64 and fixed64 lists and a Timestamp) and `Publish`, a googleapis "
            "`google.pubsub.v1.PublishRequest` of 10 `PubsubMessage`s (data, attributes, id, Timestamp, ordering "
            "key). `read` = decode, then read every field (upb decodes lazily). moonstub runs twice, "
            "`MOONSTUB_CODEC=native` and `MOONSTUB_CODEC=python`, in separate processes. Cells: moonstub's "
            "microseconds, then for each peer **moonstub's time / the peer's** (below 1: moonstub faster), the "
            "median of the per-round ratios (min-max). protobuf-upb is google.protobuf's default C backend, "
            "protobuf-python its pure-Python one (`PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python`); protobuf-py is "
            f"Buf's (protoc-gen-py {vers.get('protoc-gen-py', '?')}, with its Rust extension protobuf-py-ext "
            f"{vers.get('protobuf-py-ext', '?')}), betterproto2 {vers.get('betterproto2', '?')} (betterproto2_compiler "
            f"{vers.get('betterproto2-compiler', '?')}); pyfory uses bench/fory_shapes.py and, for Publish, "
            "moonstub's `--codec=fory` classes.", ""]
    for p, why in codec.get("missing", {}).items():
        out.append(f"- **{p}: missing** — {why}")
    for p, errs in codec.get("errors", {}).items():
        out.append(f"- {p} could not run: " + "; ".join(f"{sh}: `{e}`" for sh, e in errs.items()))
    notes = {p: n for p, n in codec.get("notes", {}).items() if n}
    if notes:
        out.append("- Loaded: " + "; ".join(f"{p}: {n}" for p, n in notes.items()))
    out.append("")
    for op in codec["ops"]:
        out += [f"### {op}", "", "| shape (bytes) | moonstub codec | moonstub us | " + " | ".join(others) + " |",
                "| --- | --- | --- |" + " --- |" * len(others)]
        for sh in codec["shapes"]:
            for m in variants:
                st = codec["stats"][m].get(sh)
                if not st:
                    continue
                cells = []
                for p in others:
                    r = codec_ratio(codec, m, p, sh, op)
                    cells.append(f"{r['median']:.2f} ({r['min']:.2f}-{r['max']:.2f})" if r else "—")
                size = codec["sizes"][m].get(sh, 0)
                out.append(f"| {sh} ({size:,} B) | {m.removeprefix('moonstub-')} | {st[op]['median'] * 1e6:,.1f} | "
                           + " | ".join(cells) + " |")
        out.append("")
    out += ["![codec ratios](plots/codec_ratios.png)", ""]
    for p in others:
        parts = []
        status = ""
        for m in variants:
            span = codec_span(codec, m, p, codec["ops"])
            if not span:
                continue
            lo, hi = span
            parts.append(f"{m.removeprefix('moonstub-')}: {lo:.2f} to {hi:.2f}")
            if not status:
                status = (f"moonstub ({m.removeprefix('moonstub-')}) faster" if hi < 1 else
                          f"moonstub ({m.removeprefix('moonstub-')}) slower" if lo > 1 else
                          f"mixed ({m.removeprefix('moonstub-')})")
        if parts:
            targets.append([f"codec vs {p} ({len(codec['shapes'])} shapes x encode, decode, read; moonstub's time / "
                            "peer's)", "; ".join(parts), status])


def import_section(imp: dict[str, Any], out: list[str]) -> None:
    st = imp["stats"]
    out += [f"## 4. Importing generated code: `{imp['target']}`", "",
            f"{imp['messages']:,} messages; each tool writes compute.proto and the files it imports (protoc's and "
            "protobuf-py's well-known types come with their runtimes). Every figure is one fresh interpreter "
            "importing the compute module: `import s` is timed around the import statement in the child, `wall s` "
            "is the whole child process (interpreter start-up included), peak RSS is the child's "
            "`getrusage(RUSAGE_SELF).ru_maxrss` right after the import, `first use` encodes and decodes an empty "
            "`Instance` after it. **cold**: no `__pycache__` in the generated tree, bytecode writing allowed "
            "(`PYTHONDONTWRITEBYTECODE` removed from the child's environment), so the import compiles and writes "
            f"every module; **warm**: the `.pyc` are there ({imp['warm_runs']} runs a round, their median). "
            f"{imp['rounds']} rounds, peers taking turns; medians (min-max). MOONSTUB_CODEC: "
            f"{imp.get('moonstub_codec', '(unset)')}. Generation time (once): "
            + ", ".join(f"{p} {fmt_s(t)} s" for p, t in imp["gen_s"].items())
            + (" (protobuf-py's output cached from an earlier run)" if imp.get("cached", {}).get("protobuf-py") else "")
            + ".", "",
            "| generator | state | import s | wall s | peak RSS MiB | first use ms | written MB | .pyc MB |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for p in imp["peers"]:
        for state in ("cold", "warm"):
            s = st[p][state]
            fu = s.get("first_use_s")
            pyc = imp.get("pyc_written", {}).get(p, {})
            out.append(f"| {p} | {state} | {s['import_s']['median']:.3f} ({s['import_s']['min']:.3f}-"
                       f"{s['import_s']['max']:.3f}) | {s['wall_s']['median']:.3f} | {s['rss_mb']['median']:,.0f} "
                       f"({s['rss_mb']['min']:,.0f}-{s['rss_mb']['max']:,.0f}) | "
                       + (f"{fu['median'] * 1e3:.2f}" if fu else "—")
                       + f" | {imp['bytes'][p] / 1e6:.1f} | {pyc.get('bytes', 0) / 1e6:.1f} |")
    out += ["", "moonstub / peer, per-round ratios (below 1: moonstub better):", "",
            "| peer | state | import time | wall time | peak RSS |", "| --- | --- | --- | --- | --- |"]
    for p in [x for x in imp["peers"] if x in imp["ratios"]]:
        r = imp["ratios"][p]
        for state in ("cold", "warm"):
            cells = [f"{r[state][k]['median']:.2f} ({r[state][k]['min']:.2f}-{r[state][k]['max']:.2f})"
                     for k in ("import_s", "wall_s", "rss_mb")]
            out.append(f"| {p} | {state} | " + " | ".join(cells) + " |")
    out += ["", "![import ratios](plots/import_ratios.png)", ""]


def output_section(output: dict[str, Any], out: list[str]) -> None:
    m, p = output["moonstub"], output["protoc"]
    rows = p.get("by_suffix", {})
    out += ["## 5. Output volume: googleapis", "",
            f"All {output['files']:,} googleapis files outside `preview/`, one invocation each, run once: what "
            f"moonstub writes with `--python_out` (its runtime module included; {m['source']}) against what protoc "
            "writes with `--python_out --pyi_out` (`python -m grpc_tools.protoc`): the `_pb2.py` modules and their "
            "type stubs, the closest protoc has to moonstub's typed classes.", "",
            "| writer | files | MB | moonstub's bytes / this row's |", "| --- | --- | --- | --- |",
            f"| moonstub --python_out | {sum(r['files'] for r in m.get('by_suffix', {}).values()) or '—'} | "
            f"{m['bytes'] / 1e6:,.1f} | {output['ratio']:.2f} |"]
    for suffix in (".py", ".pyi"):
        if suffix in rows:
            out.append(f"| protoc `{suffix}` | {rows[suffix]['files']:,} | {rows[suffix]['bytes'] / 1e6:,.1f} | "
                       f"{m['bytes'] / max(1, rows[suffix]['bytes']):.2f} |")
    out += [f"| protoc `.py` + `.pyi` | {sum(r['files'] for r in rows.values()):,} | {p['bytes'] / 1e6:,.1f} | "
            f"{output['ratio']:.2f} |", ""]


def goal_status(value: float, limit: float) -> str:
    return "yes" if value <= limit else f"no ({value / limit:.2f}x the limit)"


def goals(codec: Any, imp: Any, output: Any) -> tuple[list[list[str]], list[str]]:
    """The targets (target, measured, met?) and what the numbers say about the missed ones."""
    rows: list[list[str]] = []
    notes: list[str] = []
    if codec_ok(codec):
        native = "moonstub-native" in codec["ratios"]
        why = codec.get("missing", {}).get("moonstub-native", "")
        for op, limit, label in (("read", 1.5, "decode-then-read"), ("encode", 2.0, "encode")):
            target = f"native {label} ≤ {limit:g}x protobuf-upb's time, every shape"
            per = {sh: codec_ratio(codec, "moonstub-native", "protobuf-upb", sh, op) for sh in codec["shapes"]}
            py = [r["median"] for sh in codec["shapes"]
                  if (r := codec_ratio(codec, "moonstub-python", "protobuf-upb", sh, op))]
            py_text = f"pure Python: {min(py):.1f}x to {max(py):.1f}x" if py else ""
            if native and all(per.values()):
                worst = max(per, key=lambda sh: per[sh]["median"])  # type: ignore[index]
                rows.append([target, ", ".join(f"{sh} {r['median']:.2f}x" for sh, r in per.items() if r)
                             + f" (worst {worst}); {py_text}", goal_status(per[worst]["median"], limit)])  # type: ignore[index]
            else:
                rows.append([target, f"native codec missing; {py_text}", "not measured"])
        target = "native faster than protobuf-py on every shape, encode and decode"
        if native:
            per_op = {op: codec_span(codec, "moonstub-native", "protobuf-py", [op]) for op in ("encode", "decode")}
            cells = [f"{op} {lo:.2f}-{hi:.2f}x" for op, sp in per_op.items() if sp for lo, hi in [sp]]
            worst = max((sp[1] for sp in per_op.values() if sp), default=float("nan"))
            rows.append([target, ", ".join(cells) + " (moonstub's time / protobuf-py's, over the shapes)",
                         "yes" if worst < 1 else f"no (worst {worst:.2f}x)"])
        else:
            sp = codec_span(codec, "moonstub-python", "protobuf-py", ["encode", "decode"])
            rows.append([target,
                         "native codec missing" + (f"; pure Python: {sp[0]:.1f}x to {sp[1]:.1f}x" if sp else ""),
                         "not measured"])
        if not native:
            notes.append(f"- **Native codec**: not measured: {why}. The pure-Python figures are in section 2.")
    if imp and "protoc _pb2" in imp.get("ratios", {}):
        r = imp["ratios"]["protoc _pb2"]
        st = imp["stats"]

        def cell(state: str, key: str, unit: str) -> str:
            x = r[state][key]
            a, b = st["moonstub"][state][key]["median"], st["protoc _pb2"][state][key]["median"]
            return f"{x['median']:.2f}x ({x['min']:.2f}-{x['max']:.2f}): {a:,.3g} {unit} vs {b:,.3g} {unit}"

        name = ".".join(imp["target"].split("/")[-3:-1])
        rows.append([f"{name} warm import ≤ 2x protoc _pb2's time", cell("warm", "import_s", "s"),
                     goal_status(r["warm"]["import_s"]["median"], 2.0)])
        rows.append([f"{name} first (cold) import ≤ 3x protoc _pb2's time", cell("cold", "import_s", "s"),
                     goal_status(r["cold"]["import_s"]["median"], 3.0)])
        rows.append([f"{name} first (cold) import ≤ 2x protoc _pb2's peak RSS", cell("cold", "rss_mb", "MiB"),
                     goal_status(r["cold"]["rss_mb"]["median"], 2.0)])
        if max(r["warm"]["import_s"]["median"] / 2, r["cold"]["import_s"]["median"] / 3,
               r["cold"]["rss_mb"]["median"] / 2) > 1:
            pyc = imp.get("pyc_written", {})
            notes.append(
                f"- **Import of {name}**: moonstub writes {imp['bytes']['moonstub'] / 1e6:.1f} MB of Python for it, "
                f"protoc {imp['bytes']['protoc _pb2'] / 1e6:.1f} MB (a serialized descriptor that upb's C code "
                f"turns into classes), protobuf-py {imp['bytes']['protobuf-py'] / 1e6:.1f} MB. A cold import compiles "
                f"all of it (peak {st['moonstub']['cold']['rss_mb']['median']:,.0f} MiB against protoc's "
                f"{st['protoc _pb2']['cold']['rss_mb']['median']:,.0f}); a warm one still loads "
                f"{pyc.get('moonstub', {}).get('bytes', 0) / 1e6:.1f} MB of bytecode and runs every class body "
                f"(protoc's .pyc: {pyc.get('protoc _pb2', {}).get('bytes', 0) / 1e6:.1f} MB).")
    if output:
        p = output["protoc"]["by_suffix"]
        rows.append(["googleapis output ≤ protoc's .py + .pyi bytes",
                     f"{output['ratio']:.2f}x: {output['moonstub']['bytes'] / 1e6:,.1f} MB vs "
                     f"{output['protoc']['bytes'] / 1e6:,.1f} MB (.py {p.get('.py', {}).get('bytes', 0) / 1e6:,.1f} + "
                     f".pyi {p.get('.pyi', {}).get('bytes', 0) / 1e6:,.1f})", goal_status(output["ratio"], 1.0)])
    return rows, notes


def rpc_section(rpc: dict[str, Any], out: list[str], targets: list[list[str]]) -> None:
    out += ["## 3. RPC overhead (loopback)", "",
            f"Greeter proto: per side and round, {rpc['calls']:,} sequential unary calls (after 200 warm-up) with "
            f"per-call latency, and {rpc['messages']:,} messages through bidi streams of "
            f"{rpc['messages'] // rpc.get('blocks', 1):,}. Each round runs one fresh process per pair holding both "
            "sides' servers and clients, the two alternating in blocks (the order flipping each block) so load "
            f"from other jobs hits both alike; {rpc['rounds']} rounds. Ratios are moonstub's over the peer's of the "
            "same round, oriented so above 1 moonstub is better (latency: peer's / moonstub's).", "",
            "| transport | measure | moonstub median (min-max) | peer median (min-max) | ratio (min-max) |",
            "| --- | --- | --- | --- | --- |"]
    names = {"unary": "unary calls/s", "p50": "unary p50 us", "p99": "unary p99 us", "stream": "bidi messages/s"}
    for label, ours, theirs in rpc["pairs"]:
        for key, _, higher in RPC_METRICS:
            m, t = rpc["stats"][ours][key], rpc["stats"][theirs][key]
            r = rpc_ratio(rpc, ours, theirs, key, higher)
            out.append(f"| {label} | {names[key]} | {m['median']:,.0f} ({m['min']:,.0f}-{m['max']:,.0f}) | "
                       f"{theirs.split()[0]}: {t['median']:,.0f} ({t['min']:,.0f}-{t['max']:,.0f}) | "
                       f"{r['median']:.2f} ({r['min']:.2f}-{r['max']:.2f}) |")
        r_u = rpc_ratio(rpc, ours, theirs, "unary", True)
        r_s = rpc_ratio(rpc, ours, theirs, "stream", True)
        worst = min(r_u["median"], r_s["median"])
        span = min(r_u["max"], r_s["max"]) >= 1.0
        targets.append([f"RPC {label}: moonstub vs {theirs.split()[0]} (unary, stream throughput; 1 = the same)",
                        f"{r_u['median']:.2f} ({r_u['min']:.2f}-{r_u['max']:.2f}), "
                        f"{r_s['median']:.2f} ({r_s['min']:.2f}-{r_s['max']:.2f})",
                        "at par or better" if worst >= 0.95 else f"behind by {100 * (1 - worst):.0f}%"
                        + (" (rounds reach 1.0: within this run's noise)" if span else "")])
    out += ["", "![rpc ratios](plots/rpc_ratios.png)", ""]


def render() -> None:
    env, gen, codec, rpc = load("env"), load("gen"), load("codec"), load("rpc")
    imp, output = load("import"), load("output")
    if codec and not codec_ok(codec):
        print("report: bench/results/codec.json is of the old layout; the codec section is left out (rerun "
              "bench_codec.py)")
        codec = None
    made = plots(gen, codec, rpc, imp)
    out: list[str] = ["# moonstub benchmark report", ""]
    targets: list[list[str]] = []
    findings: list[str] = []
    if env:
        pieces = ", ".join(f"{name} {env['pieces'][key]:.0f} s" for key, name in
                           (("gen", "generator"), ("codec", "codec"), ("import", "import"), ("output", "output"),
                            ("rpc", "RPC")) if key in env["pieces"])
        out += [f"Generated by `make bench` ({env['date']}, {env['total_seconds'] / 60:.1f} minutes: {pieces}). "
                "Every figure is a ratio against peers measured in the same run, peers taking turns; the machine is "
                "shared, so absolute times are only context.", "",
                "## Machine and versions", "",
                f"- CPU: {env['cpu']}, {env['cores']} cores; RAM {env['mem_gib']} GiB; {env['os']}, "
                f"kernel {env['kernel']} ({env['machine']})",
                f"- Load average (1 min) at start / end: {env['load_start']:.2f} / {env['load_end']:.2f} "
                "(other jobs share the machine)",
                f"- moonstub: `{env['moonstub']}`"
                + (f", commit `{env['commit']}` ({env['commit_subject']})" if env.get("moonstub_in_tree", True) else
                   f" at `{env['moonstub_path']}` (a build outside this work tree; the work tree is at commit "
                   f"`{env['commit']}`, {env['commit_subject']})")
                + (f", built with uncommitted changes in {', '.join(env['dirty'])}" if env["dirty"] else "")
                + (f" — {env['label']}" if env.get("label") else "")
                + f"; gcc {env['gcc']}",
                f"- Python {env['python']}; protobuf backend `{env['protobuf_backend']}`; "
                f"{env['protoc']} (grpcio-tools)",
                "- " + ", ".join(f"{k} {v}" for k, v in env["packages"].items()),
                f"- {env['perf'] or 'perf not available'}", ""]
    body: list[str] = []
    if gen:
        gen_section(gen, body, targets, findings)
        profile_section(gen, body, findings)
    if codec:
        codec_section(codec, body, targets)
    if rpc:
        rpc_section(rpc, body, targets)
    if imp:
        import_section(imp, body)
    if output:
        output_section(output, body)
    goal_rows, goal_notes = goals(codec, imp, output)
    out += ["## Summary", ""]
    if goal_rows:
        out += ["### Targets", "", "| target | measured | met? |", "| --- | --- | --- |"]
        out += [f"| {a} | {b} | {c} |" for a, b, c in goal_rows]
        out += ["", *goal_notes, *([""] if goal_notes else []), "### Comparisons", ""]
    out += ["| target / comparison | result | status |", "| --- | --- | --- |"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in targets]
    out += ["", *why_missed(gen, codec, targets), *slow_spots(gen, codec, rpc), *body]
    out += ["---", "", "Raw numbers: `bench/results/*.json`. Plots: " + ", ".join(f"`plots/{m}`" for m in made) +
            ". Regenerate everything with `make bench`; re-render from the JSON with `.venv/bin/python bench/report.py "
            "--render-only`.", ""]
    (HERE / "REPORT.md").write_text("\n".join(out))
    if gen:
        write_parse_md(gen, env)
    print(f"report: wrote bench/REPORT.md and {len(made)} plots")


def why_missed(gen: Any, codec: Any, targets: list[list[str]]) -> list[str]:
    """The explanations of missed targets, from the measurements."""
    lines: list[str] = []
    if not gen:
        return lines
    cs = cases_by(gen)
    missed = [t for t in targets if t[2].startswith("missed")]
    if not missed:
        return lines
    lines += ["### Missed targets: by how much and why", ""]
    for t in missed:
        if "protoc" in t[0]:
            m, p = cs[("googleapis", "moonstub --grpc")], cs[("googleapis", "protoc")]
            front = cs.get(("googleapis", "moonstub parse+link"))
            ratio_bytes = m["out_bytes"] / max(1, p["out_bytes"])
            perf = (gen.get("perf") or {}).get("categories", {})
            gc = perf.get("Lua garbage collector", 0.0)
            lua = sum(v for k, v in perf.items() if k.startswith("Lua") or k == "LPeg")
            lines.append(
                f"- **{t[0]}** — {t[2]}. The C front end is not the problem: parse+link takes "
                f"{fmt_s(front['cpu']['median']) if front else '?'} s of CPU. The Lua emitters are: moonstub writes "
                f"{m['out_bytes'] / 1e6:,.0f} MB where protoc writes {p['out_bytes'] / 1e6:,.0f} MB "
                f"({ratio_bytes:.1f}x: each message gets a generated class, encoder, decoder and field table; "
                f"protoc's `_pb2` is mostly a serialized descriptor), all of it built as Lua strings and held "
                "in memory until the "
                f"end (peak RSS {m['rss_mb']['median']:,.0f} MiB vs protoc's {p['rss_mb']['median']:,.0f} MiB). "
                + (f"In the profile {lua:.0f}% of the samples are in the Lua VM, {gc:.0f}% in its garbage "
                   "collector alone." if perf else ""))
        elif "aristaproto" in t[0]:
            lines.append(f"- **{t[0]}** — {t[2]}.")
        elif "foryc" in t[0]:
            lines.append(f"- **{t[0]}** — {t[2]}. " + growth_text(gen, "fdl", "foryc"))
    lines.append("")
    return lines


def growth_text(gen: dict[str, Any], kind: str, peer: str) -> str:
    """How a slow peer's time and moonstub's grow between the two largest sizes both ran at."""
    import math

    cs = cases_by(gen)
    pts = [(n, cs[(f"synth-{kind}-{n}", peer)], cs.get((f"synth-{kind}-{n}", "moonstub --grpc"))) for n in gen["sizes"]
           if cs.get((f"synth-{kind}-{n}", peer), {}).get("runs")]
    pts = [(n, c, b) for n, c, b in pts if b and b.get("runs")]
    if len(pts) < 2:
        return ""
    (n0, c0, b0), (n1, c1, b1) = pts[-2], pts[-1]

    def exp(a: float, b: float) -> float:
        return math.log(b / a) / math.log(n1 / n0)

    ef = exp(c0["wall"]["median"], c1["wall"]["median"])
    em = exp(b0["wall"]["median"], b1["wall"]["median"])
    r0 = c0["wall"]["median"] / b0["wall"]["median"]
    r1 = c1["wall"]["median"] / b1["wall"]["median"]
    smallest = pts[0]
    text = (f"Between {n0:,} and {n1:,} messages {peer}'s time grows as n^{ef:.2f} "
            f"and moonstub's as n^{em:.2f}, so the "
            f"ratio moves from {fmt_ratio(r0)} to {fmt_ratio(r1)}")
    if ef > em and r1 < 20:
        at = n1 * (20 / r1) ** (1 / (ef - em))
        text += (f"; on that trend it would pass 20x near {at:,.0f} messages (one {peer} run there: about "
                 f"{c1['wall']['median'] * (at / n1) ** ef:,.0f} s)")
    text += (f". At {smallest[0]:,} messages both are mostly start-up ({peer}: a Python interpreter and its imports, "
             f"{fmt_s(smallest[1]['wall']['median'])} s; moonstub: {fmt_s(smallest[2]['wall']['median'])} s). "
             "moonstub's `.fdl` path is the same Lua emitters as for `.proto` (pyfory dataclasses are smaller "
             "than the protobuf codec), so its cost per message is what the profile below shows.")
    return text


def slow_spots(gen: Any, codec: Any, rpc: Any) -> list[str]:
    """What this run shows to be slow in moonstub, with its numbers."""
    lines = ["### What is slow in moonstub (from this run)", ""]
    if gen and gen.get("googleapis"):
        cs = cases_by(gen)
        get = lambda peer: cs.get(("googleapis", peer))  # noqa: E731
        full, front, msgs, proto = get("moonstub --grpc"), get("moonstub parse+link"), get("moonstub"), get("protoc")
        ph = gen.get("phases", {})
        if full and front and full.get("runs") and front.get("runs"):
            total = full["cpu"]["median"]
            fr = front["cpu"]["median"]
            text = (f"- **The Lua half of generation.** On googleapis, `--grpc` takes {fmt_s(total)} s of CPU; "
                    f"parse+link is {fmt_s(fr)} s ({100 * fr / total:.0f}%).")
            if "moonstub --summary" in ph and "moonstub --check --grpc (emit, no write)" in ph:
                su = ph["moonstub --summary"]["cpu"]
                em = ph["moonstub --check --grpc (emit, no write)"]["cpu"]
                text += (f" Handing the model to Lua and naming it (`--summary`, which also prints an outline) adds "
                         f"{fmt_s(su - fr)} s ({100 * (su - fr) / total:.0f}%), the emitters {fmt_s(em - su)} s "
                         f"({100 * (em - su) / total:.0f}%), writing the files {fmt_s(max(0.0, total - em))} s.")
            perf = (gen.get("perf") or {}).get("categories", {})
            if perf:
                text += (f" perf: Lua's garbage collector {perf.get('Lua garbage collector', 0):.0f}% of the samples, "
                         f"malloc/free {perf.get('malloc / free', 0):.0f}%, table lookups "
                         f"{perf.get('Lua tables', 0):.0f}%, string interning and buffers "
                         f"{perf.get('Lua strings (interning, concat, buffers, string library)', 0):.0f}%, the "
                         f"interpreter loop {perf.get('Lua interpreter', 0):.0f}%; the C front end and output "
                         f"{perf.get('moonstub C (lexer, parser, linker, output, Lua bridge)', 0):.0f}%. The heap is "
                         "large and long-lived (the whole model and every output string stay reachable until the "
                         "end), so each collector cycle re-marks it")
                top = {r["symbol"]: r["pct"] for r in (gen.get("perf") or {}).get("top", [])}
                switch = top.get("enterinc", 0.0) + top.get("sweep2old", 0.0)
                if switch:
                    text += (f"; `enterinc` + `sweep2old` alone are {switch:.1f}%: Lua 5.4's generational mode keeps "
                             "falling back to incremental collections and back, as it does when the heap only grows")
                text += (". Incremental mode with a larger pause, or stopping the collector while emitting, is the "
                         "first thing to try.")
            lines.append(text)
        if full and proto and full.get("runs") and proto.get("runs"):
            lines.append(
                f"- **Memory and output volume.** Peak RSS on googleapis: {full['rss_mb']['median']:,.0f} MiB for "
                f"`--grpc` against {front['rss_mb']['median']:,.0f} MiB for parse+link alone and "
                f"{proto['rss_mb']['median']:,.0f} MiB for protoc (in its Python host). moonstub writes "
                f"{full['out_bytes'] / 1e6:,.0f} MB, {full['out_bytes'] / max(1, proto['out_bytes']):.1f}x protoc's "
                f"{proto['out_bytes'] / 1e6:,.0f} MB (messages alone: {msgs['out_bytes'] / 1e6:,.0f} MB).")
        big = max(gen["sizes"])
        rows = []
        for n in gen["sizes"]:
            m, p = cs.get((f"synth-proto-{n}", "moonstub --grpc")), cs.get((f"synth-proto-{n}", "protoc"))
            if m and p and m.get("runs") and p.get("runs") and n >= 1000:
                r = paired([x["wall"] for x in p["runs"]], [x["wall"] for x in m["runs"]])["median"]
                rows.append(f"{n:,}: {r:.2f}")
        m, p = cs.get((f"synth-proto-{big}", "moonstub --grpc")), cs.get((f"synth-proto-{big}", "protoc"))
        if rows and m and p and m.get("runs") and p.get("runs"):
            lines.append(
                "- **Schemas with many fields per message.** On the synthetic schema (8 fields, a map and a repeated "
                "field per message) protoc's time / moonstub's is " + ", ".join(rows) + " messages: there moonstub "
                f"is the slower one. At {big:,} messages moonstub writes {m['out_bytes'] / 1e6:,.0f} MB "
                f"({m['out_bytes'] / max(1, p['out_bytes']):.1f}x protoc's {p['out_bytes'] / 1e6:,.0f} MB) and peaks "
                f"at {m['rss_mb']['median']:,.0f} MiB: its cost follows the generated code "
                "(a class, an encoder, a decoder "
                "and a field table per message), protoc's the descriptor bytes.")
    if rpc:
        for label, ours, theirs in rpc["pairs"]:
            for key, name, higher in RPC_METRICS:
                r = rpc_ratio(rpc, ours, theirs, key, higher)
                if r["median"] < 0.95:
                    o = [round(x[key]) for x in rpc["runs"][ours]]
                    t = [round(x[key]) for x in rpc["runs"][theirs]]
                    lines.append(f"- **RPC {label} {name}**: moonstub/peer {r['median']:.2f} (per round "
                                 f"{r['min']:.2f}-{r['max']:.2f}); moonstub's runs {o}, the peer's {t}. Check "
                                 "whether the runs are bimodal on both sides (scheduling on a loaded 2-core machine) "
                                 "before reading it as moonstub's cost.")
    if codec:
        for m in [v for v in codec["moonstub"] if v in codec["ratios"]]:
            for p in ("protobuf-upb", "protobuf-py", "pyfory"):
                sp = codec_span(codec, m, p, codec["ops"])
                if sp and sp[1] > 1:
                    lines.append(f"- **Codec vs {p}** (a compiled codec): moonstub's {m.removeprefix('moonstub-')} "
                                 f"codec takes {sp[0]:.2f}x to {sp[1]:.2f}x its time over the shapes and operations.")
            slower = [p for p in ("protobuf-python", "betterproto2", "aristaproto")
                      if (sp := codec_span(codec, m, p, codec["ops"])) and sp[1] > 1]
            if slower:
                lines.append(f"- **Codec ({m.removeprefix('moonstub-')}) behind a pure-Python peer** on some shape: "
                             + ", ".join(slower) + ".")
    lines.append("")
    return lines if len(lines) > 3 else []


def write_parse_md(gen: dict[str, Any], env: Any) -> None:
    cs = cases_by(gen)
    m, p = cs.get(("googleapis", "moonstub parse+link")), cs.get(("googleapis", "protoc --descriptor_set_out"))
    if not (m and p and m.get("runs") and p.get("runs")):
        return
    r = paired([x["wall"] for x in p["runs"]], [x["wall"] for x in m["runs"]])
    lines = ["# Parse and link: googleapis", "",
             f"{gen['googleapis']['files']} files outside `preview/`, one invocation each, "
             f"{m['wall']['n']} alternating "
             f"runs, median (min-max) in seconds, from `make bench` (bench/bench_gen.py; see bench/REPORT.md). "
             + (f"Machine: {env['machine']}, Linux {env['kernel']}, Python {env['python']}, {env['protoc']} "
                "(grpcio-tools)." if env else ""), "",
             "| tool | median s | spread s | vs protoc |", "| --- | --- | --- | --- |",
             f"| moonstub (parse + link) | {m['wall']['median']:.3f} | {m['wall']['min']:.3f}-{m['wall']['max']:.3f} | "
             f"{r['median']:.1f}x faster |",
             f"| protoc --descriptor_set_out | {p['wall']['median']:.3f} | "
             f"{p['wall']['min']:.3f}-{p['wall']['max']:.3f} | 1.0x |",
             "", "Regenerate with `make bench`."]
    (HERE / "parse.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moonstub", type=Path)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--budget", type=float, default=float(os.environ.get("BENCH_BUDGET", 1040)))
    parser.add_argument("--render-only", action="store_true")
    parser.add_argument("--label", default="", help="what the moonstub binary is, for the report (e.g. a build of "
                                                     "another commit)")
    args = parser.parse_args()
    if not args.render_only:
        if not args.moonstub or not args.corpus:
            parser.error("--moonstub and --corpus are needed (or --render-only)")
        args.moonstub = args.moonstub.resolve()
        args.corpus = args.corpus.resolve()
        run_all(args)
    render()
    return 0


if __name__ == "__main__":
    sys.exit(main())
