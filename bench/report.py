#!/usr/bin/env python3
"""`make bench`: runs every benchmark piece (bench_gen.py, bench_codec.py,
bench_import.py, bench_output.py, bench_rpc.py), each writing JSON into
bench/results/, then renders bench/REPORT.md and bench/plots/*.png (and
parse.md from the generator run).

Every figure is a ratio against peers measured in the same run, peers taking
turns, medians of several rounds with their spread. The whole run keeps to a
wall-clock budget (--budget, default 1140 s, BENCH_BUDGET): each piece gets a
deadline and drops its optional extra rounds, never its first ones, when time
runs short. The generator's deadline is start + 800 s (budget - 340 s): two
rounds of every workload take it about 550 s on an idle machine, protoc with
--pyi_out at 100,000 messages alone 75-90 s a round, so the 800 s leave room
for load from other jobs and, on a quiet machine, a third round.

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
    # loaded machine: codec 70, import 70 plus a minute to generate protobuf-py's output when it is not cached,
    # output 40, RPC 90); each piece adds rounds only while its deadline allows
    took = {}
    corpus = str(args.corpus)
    took["gen"] = run_piece("generator", [py, str(HERE / "bench_gen.py"), "--moonstub", ms, "--corpus", corpus,
                                          "--json", str(RESULTS / "gen.json")], end - 340)
    # the codec piece also builds moonstub-before (the generator before tables) from git history on its first run
    # (about 5-10 s, kept in build/bench-before afterwards), and that peer adds about 2 s to each of its rounds
    before = ["--before-dir", str(args.before_dir)] if args.before_dir else []
    took["codec"] = run_piece("codec", [py, str(HERE / "bench_codec.py"), "--moonstub", ms, "--corpus", corpus,
                                        "--repeat", "5", "--min-repeat", "3", *before,
                                        "--json", str(RESULTS / "codec.json")],
                              min(end - 270, time.time() + 95))
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
        if gen.get("googleapis"):
            fig.savefig(PLOTS / "gen_googleapis.png", dpi=110)
            made.append("gen_googleapis.png")
        plt.close(fig)
        # 2. log-log time and memory vs message count
        series = [("proto", "moonstub --grpc", "moonstub (.proto, --grpc, workers)", "C0", "o-"),
                  ("proto", "moonstub --grpc -j 1", "moonstub (.proto, --grpc -j 1: one process)", "C5", "o:"),
                  ("proto", "protoc", "grpc_tools.protoc (--python_out --pyi_out --grpc_python_out)", "C1", "s-"),
                  ("proto", "aristaproto", "aristaproto plugin", "C2", "^-"),
                  ("proto", "foryc (.proto)", "foryc --grpc (.proto)", "C4", "v:"),
                  ("fdl", "moonstub --grpc", "moonstub (.fdl, --grpc)", "C0", "o--"),
                  ("fdl", "foryc", "foryc --grpc (.fdl)", "C3", "d--")]
        for metric, fname, ylabel in (("wall", "gen_scaling.png", "wall seconds"),
                                      ("rss_mb", "gen_memory.png", "peak RSS of the largest process, MiB")):
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

def ran(c: Any) -> bool:
    """A case that has runs."""
    return bool(c and c.get("runs"))


def col(c: dict[str, Any], key: str) -> list[float]:
    return [r[key] for r in c["runs"]]


def has_tree(c: Any) -> bool:
    """Whether the runs carry the memory of the whole process tree (results from before they did do not)."""
    return ran(c) and all("tree_pss_mb" in r for r in c["runs"])


def tree_cell(c: dict[str, Any]) -> str:
    """All processes of a run: peak PSS sum (peak RSS sum)."""
    if not has_tree(c):
        return "—"
    return f"{c['tree_pss_mb']['median']:,.0f} ({c['tree_rss_mb']['median']:,.0f})"


GEN_METHOD = (
    "CPU time is user + sys of the whole process tree (steadier than wall time on a shared machine). Memory: the "
    "peak RSS of the largest process (GNU time's %M), and the memory of all the processes of the run, sampled from "
    "/proc while it goes: the peak of the sum of their PSS and, in brackets, of their RSS. `moonstub --grpc` runs "
    "with its default worker processes (one per core, at most 4, once the schema is large; small schemas stay in "
    "one process); `moonstub --grpc -j 1` is the same run in one process, to show what the workers buy. With "
    "workers the largest process is one of them or their parent, and each worker's RSS includes the pages it "
    "shares copy-on-write with the parent (the parsed model, inherited at the fork): the RSS sum counts those pages "
    "once per process, the PSS sum divides them among the processes that map them, which is what the run takes "
    "from the machine. The RSS sum is read every 50 ms, PSS every 50 ms to 2 s (the kernel walks the page tables for "
    "it: the larger the tree, the sparser the readings), so the PSS peak is a lower bound, a loose one for runs of "
    "under a second. protoc is grpcio-tools' "
    "(`python -m grpc_tools.protoc --python_out --pyi_out --grpc_python_out`: `_pb2.py`, its `.pyi` stub and "
    "`_pb2_grpc.py`, what moonstub writes with `--grpc`), run as the aristaproto plugin is run.")


def gen_section(gen: dict[str, Any], out: list[str], targets: list[list[str]], findings: list[str]) -> None:
    cs = cases_by(gen)
    out += ["## 1. Generator speed: schema files to written Python", "",
            f"Every run is one invocation over all the files of the workload, writing into an empty folder. "
            f"Peers take turns, {gen['rounds']} round{'s' if gen['rounds'] != 1 else ''} (slow peers at large "
            "sizes run once, as marked `n=1`); "
            "median wall time with min-max, the median of the per-round ratios to moonstub, CPU time, memory and the "
            "bytes written. " + GEN_METHOD, ""]
    header = ["| generator | wall s (min-max, n) | wall / moonstub --grpc's (min-max) | CPU s "
              "| CPU / moonstub --grpc's | peak RSS MiB, largest process | all processes MiB: PSS (RSS) | output MB |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    ga = gen.get("googleapis")
    if ga:
        base = cs[("googleapis", "moonstub --grpc")]
        out += [f"### googleapis ({ga['files']:,} files outside `preview/`, {ga['messages']:,} messages)", "",
                *header]
        for peer in ("moonstub parse+link", "moonstub --dump-model", "moonstub", "moonstub --grpc",
                     "moonstub --grpc -j 1", "protoc", "protoc --descriptor_set_out"):
            c = cs.get(("googleapis", peer))
            if ran(c) and ran(base):
                out.append(gen_row(c, base, peer))
        out.append("")
        p = cs.get(("googleapis", "protoc"))
        m = cs.get(("googleapis", "moonstub"))
        if ran(p) and ran(base) and ran(m):
            r = paired(col(p, "wall"), col(base, "wall"))
            rc = paired(col(p, "cpu"), col(base, "cpu"))
            rm = paired(col(p, "wall"), col(m, "wall"))
            targets.append(["moonstub --grpc faster than protoc on googleapis (context for the 0.35x target above)",
                            f"protoc takes {fmt_ratio(r['median'])} moonstub's wall time "
                            f"(CPU: {fmt_ratio(rc['median'])}; messages only: {fmt_ratio(rm['median'])})",
                            "met" if r["median"] > 1 else
                            f"missed: moonstub is {100 * (1 / r['median'] - 1):.0f}% slower"])
    sub = gen.get("core-subset")
    if sub:
        base = cs[("core-subset", "moonstub --grpc")]
        out += [f"### googleapis core subset ({sub['files']} files, {sub['messages']:,} messages) "
                "— the set aristaproto can do", "",
                "Folders: " + ", ".join(f"`{s}`" for s in gen["subset"]) + ". " + aristaproto_note(gen), "",
                *header]
        for peer in ("moonstub --grpc", "protoc", "aristaproto"):
            c = cs.get(("core-subset", peer))
            if ran(c) and ran(base):
                out.append(gen_row(c, base, peer))
            elif c:
                out.append(f"| {peer} | {c['note']} | | | | | | |")
        out.append("")
        a = cs.get(("core-subset", "aristaproto"))
        if ran(a) and ran(base):
            r = paired(col(a, "wall"), col(base, "wall"))
            targets.append(["moonstub at least 20x faster than aristaproto (googleapis core subset)",
                            f"{fmt_ratio(r['median'])}", "met" if r["median"] >= 20 else
                            f"missed by {100 * (1 - r['median'] / 20):.0f}%"])
    if ga:
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
            "(min-max, n) and in brackets the time relative to moonstub --grpc's on the same schema language.", ""]
    peers = [(k, p) for k, p in SYNTH_PEERS if any(cs.get((f"synth-{k}-{n}", p)) for n in gen["sizes"])]
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
            if peer != "moonstub --grpc" and ran(b):
                r = paired(col(c, "wall"), col(b, "wall"))  # type: ignore[arg-type]
                cell += f" [{fmt_ratio(r['median'])}]"
            cells.append(cell)
        out.append(f"| {n:,} | " + " | ".join(cells) + " |")
    out.append("")
    out += ["Peak RSS (MiB) of the largest process of the same runs, and in the last column all the processes of "
            "moonstub --grpc's runs (PSS sum, RSS sum in brackets):", "",
            "| messages | " + " | ".join(f"{p} ({k})" for k, p in peers) + " | moonstub --grpc (proto), all "
            "processes |", "| --- |" + " --- |" * (len(peers) + 1)]
    for n in gen["sizes"]:
        cells = []
        for kind, peer in peers:
            c = cs.get((f"synth-{kind}-{n}", peer))
            cells.append(f"{c['rss_mb']['median']:,.0f}" if ran(c) else "—")  # type: ignore[index]
        m = cs.get((f"synth-proto-{n}", "moonstub --grpc"))
        cells.append(tree_cell(m) if ran(m) else "—")  # type: ignore[arg-type]
        out.append(f"| {n:,} | " + " | ".join(cells) + " |")
    out += ["", "![time vs size](plots/gen_scaling.png)", "", "![memory vs size](plots/gen_memory.png)", ""]
    for kind, peer in (("proto", "aristaproto"), ("fdl", "foryc")):
        largest = [(n, cs[(f"synth-{kind}-{n}", peer)]) for n in gen["sizes"]
                   if cs.get((f"synth-{kind}-{n}", peer), {}).get("runs")]
        if not largest:
            continue
        big = max(gen["sizes"])
        n, c = largest[-1]
        b = cs[(f"synth-{kind}-{n}", "moonstub --grpc")]
        r = paired(col(c, "wall"), col(b, "wall"))
        growth = ""
        if len(largest) >= 2:
            (n0, c0) = largest[-2]
            b0 = cs[(f"synth-{kind}-{n0}", "moonstub --grpc")]
            r0 = paired(col(c0, "wall"), col(b0, "wall"))
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


def aristaproto_note(gen: dict[str, Any]) -> str:
    """Why aristaproto runs on the subset only, with this run's probe of google/cloud/bigquery/v2."""
    probe = gen.get("notes", {}).get("aristaproto_bigquery_v2", "?")
    if probe == "ok":
        return ("aristaproto on all of googleapis is not attempted (a trial over the whole tree once ran for over 10 "
                "minutes); this run's untimed probe of `google/cloud/bigquery/v2`, where it used to fail, passed.")
    return ("aristaproto on all of googleapis is not attempted: on `google/cloud/bigquery/v2` alone it ends with "
            f"`{probe[:160]}` (its plugin pipes every module through `ruff check --fix`), and a trial over the whole "
            "tree ran for over 10 minutes.")


SYNTH_PEERS = [("proto", "moonstub --grpc"), ("proto", "moonstub --grpc -j 1"), ("proto", "protoc"),
               ("proto", "aristaproto"), ("proto", "foryc (.proto)"), ("fdl", "moonstub --grpc"), ("fdl", "foryc")]


def gen_row(c: dict[str, Any], base: dict[str, Any], label: str) -> str:
    w, cpu = c["wall"], c["cpu"]
    r = paired(col(c, "wall"), col(base, "wall"))
    rc = paired(col(c, "cpu"), col(base, "cpu"))
    return (f"| {label} | {fmt_s(w['median'])} ({fmt_s(w['min'])}-{fmt_s(w['max'])}, n={w['n']}) | "
            f"{fmt_ratio(r['median'])} ({fmt_ratio(r['min'])}-{fmt_ratio(r['max'])}) | {fmt_s(cpu['median'])} | "
            f"{fmt_ratio(rc['median'])} | {c['rss_mb']['median']:,.0f} | {tree_cell(c)} | "
            f"{c['out_bytes'] / 1e6:,.1f} |")


PHASES = [("moonstub parse+link", "read, lex, parse, link (C)"),
          ("moonstub --dump-model", "+ model as JSON on stdout (C)"),
          ("moonstub --summary", "+ Lua state, model handed to Lua, naming rules, outline (no emitters)"),
          ("moonstub --check --grpc (emit, no write)", "+ message and gRPC emitters, nothing written"),
          ("moonstub", "messages: parse, link, Lua, emit, write"),
          ("moonstub --grpc", "+ gRPC companions, written"),
          ("moonstub --grpc -j 1", "the same in one process (no workers)")]


def phase_values(gen: dict[str, Any]) -> dict[str, tuple[float, float, float]]:
    """(CPU, wall, peak RSS) of moonstub's steps on googleapis: medians of the rounds, or the one run of a phase."""
    cs = cases_by(gen)
    phases = gen.get("phases", {})
    vals: dict[str, tuple[float, float, float]] = {}
    for peer, _ in PHASES:
        c = cs.get(("googleapis", peer))
        if ran(c):
            vals[peer] = (c["cpu"]["median"], c["wall"]["median"], c["rss_mb"]["median"])  # type: ignore[index]
        elif peer in phases:
            p = phases[peer]
            vals[peer] = (p["cpu"], p["wall"], p["rss_mb"])
    return vals


def phase_text(gen: dict[str, Any]) -> str:
    """Where moonstub --grpc's CPU time goes on googleapis: each phase run's CPU time and its share of `--grpc`'s."""
    vals = phase_values(gen)
    if "moonstub --grpc" not in vals or "moonstub parse+link" not in vals:
        return ""
    total = vals["moonstub --grpc"][0]
    steps = (("moonstub parse+link", "parse+link"),
             ("moonstub --summary", "`--summary` (the model handed to Lua and named, no emitters)"),
             ("moonstub --check --grpc (emit, no write)", "`--check --grpc` (everything but writing)"))
    parts = [f"{name} {fmt_s(vals[peer][0])} s ({100 * vals[peer][0] / total:.0f}%)" for peer, name in steps
             if peer in vals]
    return (f"`--grpc` takes {fmt_s(total)} s of CPU time (all processes); the runs that stop earlier take "
            + ", ".join(parts))


def workers_text(gen: dict[str, Any], wl: str) -> str:
    """What the worker processes buy on a workload: wall and CPU against the run in one process."""
    cs = cases_by(gen)
    m, one = cs.get((wl, "moonstub --grpc")), cs.get((wl, "moonstub --grpc -j 1"))
    if not (ran(m) and ran(one)):
        return ""
    w = paired(col(one, "wall"), col(m, "wall"))  # type: ignore[arg-type]
    c = paired(col(m, "cpu"), col(one, "cpu"))  # type: ignore[arg-type]
    return (f"the workers take wall time from {fmt_s(one['wall']['median'])} s (one process, `-j 1`) to "  # type: ignore[index]
            f"{fmt_s(m['wall']['median'])} s ({w['median']:.2f}x faster on this {os_cores(gen)}machine; CPU time "  # type: ignore[index]
            f"{fmt_s(one['cpu']['median'])} s → {fmt_s(m['cpu']['median'])} s, "  # type: ignore[index]
            + (f"{100 * (c['median'] - 1):+.0f}%)" if abs(c["median"] - 1) >= 0.005 else "the same)"))


def os_cores(gen: dict[str, Any]) -> str:
    cores = gen.get("cores")
    return f"{cores}-core " if cores else ""


def perf_top(gen: dict[str, Any], n: int = 5) -> tuple[list[tuple[str, float]], list[dict[str, Any]]]:
    perf = gen.get("perf") or {}
    cats = sorted((perf.get("categories") or {}).items(), key=lambda kv: -kv[1])[:n]
    return cats, (perf.get("top") or [])[:n]


def perf_text(gen: dict[str, Any]) -> str:
    cats, syms = perf_top(gen)
    if not cats:
        return ""
    return ("perf's top five: " + ", ".join(f"{c} {v:.0f}%" for c, v in cats) + "; hottest symbols "
            + ", ".join(f"`{s['symbol']}` {s['pct']:.1f}%" for s in syms))


def profile_section(gen: dict[str, Any], out: list[str], findings: list[str]) -> None:
    out += ["## Where moonstub's time goes (googleapis)", "",
            "Runs that stop at an earlier step, from the command line (median CPU and wall time of the rounds "
            "above; `--summary` and `--check` once). `--check --grpc` has the default workers, as `--grpc` does; "
            "`--summary` hands the whole model to Lua in one process, where the generating runs convert lazily, "
            "each worker what its modules touch, so the steps are not strict subsets of each other (see their "
            "peak RSS).", "",
            "| step | what it adds | CPU s | wall s | peak RSS MiB |", "| --- | --- | --- | --- | --- |"]
    vals = phase_values(gen)
    for peer, what in PHASES:
        if peer in vals:
            cpu, wall, rss = vals[peer]
            out.append(f"| `{peer}` | {what} | {fmt_s(cpu)} | {fmt_s(wall)} | {rss:,.0f} |")
    out.append("")
    text = phase_text(gen)
    if text:
        out += [f"Reading it: {text}.", ""]
        findings.append(text)
    workers = workers_text(gen, "googleapis")
    if workers:
        out += [f"What the workers buy: {workers}.", ""]
    perf = gen.get("perf") or {}
    if perf.get("categories"):
        cats, syms = perf_top(gen)
        out += [f"perf profile (`{perf['command']}`, user-space samples; kernel time shows as the sys part of the "
                "CPU time above). Profile top five:", "",
                "| # | category | % of samples | symbol (where) | % of samples |", "| --- | --- | --- | --- | --- |"]
        for i in range(max(len(cats), len(syms))):
            cat = f"{cats[i][0]} | {cats[i][1]:.1f}" if i < len(cats) else " | "
            sym = f"`{syms[i]['symbol']}` ({syms[i]['dso']}) | {syms[i]['pct']:.1f}" if i < len(syms) else " | "
            out.append(f"| {i + 1} | {cat} | {sym} |")
        out += ["", "All categories over 0.5%:", "", "| where | % of samples |", "| --- | --- |"]
        for cat, pct in sorted(perf["categories"].items(), key=lambda kv: -kv[1]):
            if pct >= 0.5:
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


BEFORE = "moonstub-before"  # bench_codec.py's peer: the generator before messages became tables


def short(subject: str, width: int = 60) -> str:
    """A commit subject cut at a word before width characters."""
    if len(subject) <= width:
        return subject
    return subject[:width].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def before_text(codec: dict[str, Any]) -> str:
    """What moonstub-before is in this run: which commit, how it was built, what it adds to a round."""
    info = codec.get("before") or {}
    if BEFORE not in codec.get("stats", {}):
        return ("moonstub-before (the generator before messages became tables) did not run: "
                + (codec.get("missing", {}).get(BEFORE) or info.get("why") or "not in this run's results") + ".")
    import statistics

    nxt = (info.get("next") or "").split(" ", 1)
    text = (f"moonstub-before is the generator before messages became tables, commit `{info.get('commit', '?')}` "
            f"({short(info.get('subject', ''))}"
            + (f"; the parent of `{nxt[0]}`, {short(nxt[1])}" if len(nxt) == 2 else "")
            + "): per-message generated Python "
            "encoder/decoder functions and a runtime-decorated dataclass, importing the `_moonstub.py` written beside "
            "its modules. It is built from the repository's history (`git archive` into `build/bench-before`, its own "
            "Makefile) "
            + ("by an earlier run and reused" if info.get("cached") else f"in {info.get('seconds', 0):.0f} s")
            + "; moonstub-python / moonstub-before is issue 15's pure path against those generated functions")
    ws = (codec.get("worker_seconds") or {})
    if ws.get(BEFORE):
        per_round = [sum(w[i] for w in ws.values() if len(w) > i) for i in range(len(ws[BEFORE]))]
        text += (f" (its process takes {statistics.median(ws[BEFORE]):.1f} s of a round's "
                 f"{statistics.median(per_round):.0f} s)")
    if info.get("pubsub_error"):
        text += f". It could not generate pubsub.proto: `{info['pubsub_error'][:160]}`"
    return text + "."


def before_goal(codec: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Issue 15's "pure path no slower than today's generated functions": moonstub-python / moonstub-before over
    every shape and operation. A row (target, measured, status) and notes on the cells above 1."""
    target = "pure path no slower than the generated functions before tables (issue 15)"
    if BEFORE not in codec["stats"] or "moonstub-python" not in codec["ratios"]:
        why = (codec.get("missing", {}).get(BEFORE) if BEFORE not in codec["stats"] else
               codec.get("missing", {}).get("moonstub-python")) or "not in this run's results"
        return [target, f"not measured: {why}", "not measured"], []
    import math

    cells = {(sh, op): r for sh in codec["shapes"] for op in codec["ops"]
             if (r := codec_ratio(codec, "moonstub-python", BEFORE, sh, op))}
    if not cells:
        return [target, "not measured: no shape ran on both", "not measured"], []
    meds = [r["median"] for r in cells.values()]
    geo = math.exp(sum(math.log(m) for m in meds) / len(meds))
    per_op = []
    for op in codec["ops"]:
        ms = [r["median"] for (_, o), r in cells.items() if o == op]
        if ms:
            per_op.append(f"{op} {min(ms):.2f}-{max(ms):.2f}x")
    (wsh, wop), worst = max(cells.items(), key=lambda kv: kv[1]["median"])
    text = (f"moonstub-python / moonstub-before {min(meds):.2f}x to {max(meds):.2f}x over {len(cells)} shape x "
            f"operation medians ({', '.join(per_op)}; geometric mean {geo:.2f}x); slowest: {wsh} {wop} "
            f"{worst['median']:.2f}x ({worst['min']:.2f}-{worst['max']:.2f})")
    st = codec["stats"]
    # the fastest round of each against the other's fastest: what a loaded machine disturbs least
    best = [st["moonstub-python"][sh][op]["min"] / st[BEFORE][sh][op]["min"] for sh, op in cells]
    text += f"; fastest rounds against each other: {min(best):.2f}x to {max(best):.2f}x"
    missing = [f"{sh} {op}" for sh in codec["shapes"] for op in codec["ops"] if (sh, op) not in cells]
    if missing:
        text += f"; not measured: {', '.join(missing)}"
    above = {k: r for k, r in cells.items() if r["median"] > 1}
    if not above:
        return [target, text, "met"], []
    status = f"missed on {len(above)} of {len(cells)} (worst {worst['median']:.2f}x)"
    if all(r["min"] <= 1 for r in above.values()):
        status += "; each of them has rounds at or below 1.0: within this run's noise"
    notes = ["- **Pure path vs before tables** (issue 15), the cells above 1, moonstub-python's and moonstub-before's "
             "median µs: " + "; ".join(
                 f"{sh} {op} {r['median']:.2f}x ({r['min']:.2f}-{r['max']:.2f}): "
                 f"{st['moonstub-python'][sh][op]['median'] * 1e6:,.1f} vs {st[BEFORE][sh][op]['median'] * 1e6:,.1f}"
                 for (sh, op), r in above.items()) + "."]
    return [target, text, status], notes


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
            "moonstub's `--codec=fory` classes. " + before_text(codec), ""]
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
    return "met" if value <= limit else f"missed ({value / limit:.2f}x the limit)"


BIG = 100_000  # issue 18's synthetic size
# issue 18's "before" (its text: best of two rounds; GB as it gives them): moonstub --grpc wall s, peak GB; protoc
ISSUE18_BEFORE = {"googleapis": ("googleapis (7,234 files)", "13.7", "1.95", "25.5", "2.10"),
                  f"synth-proto-{BIG}": ("synthetic, 100,000 messages in 200 files", "82.6", "8.3", "74.4", "7.8")}
ISSUE18_LIMITS = (("googleapis", "googleapis --grpc", 0.35, 0.5), (f"synth-proto-{BIG}", f"{BIG:,} messages", 0.5, 0.5))
LINEAR_LIMIT = 1.25


def growth(t0: float, t1: float, n0: int, n1: int) -> float:
    """k of t ~ n^k between two sizes."""
    import math

    return math.log(t1 / t0) / math.log(n1 / n0)


def not_measured(gen: dict[str, Any], wl: str) -> str:
    if wl.startswith("synth"):
        return f"not measured: this run's sizes are {', '.join(f'{n:,}' for n in gen['sizes'])}"
    return "not measured: googleapis was not run"


def memory_goal(m: dict[str, Any], p: dict[str, Any], limit: float) -> tuple[str, str]:
    """The peak-RSS target: the largest process's ratio decides, the whole tree's (PSS sum) is shown beside it
    and named in the status when the two disagree."""
    rr = paired(col(m, "rss_mb"), col(p, "rss_mb"))
    text = (f"largest process {rr['median']:.2f}x ({rr['min']:.2f}-{rr['max']:.2f}): "
            f"{m['rss_mb']['median']:,.0f} vs {p['rss_mb']['median']:,.0f} MiB")
    status = goal_status(rr["median"], limit)
    if has_tree(m) and has_tree(p):
        rt = paired(col(m, "tree_pss_mb"), col(p, "tree_pss_mb"))
        rs = paired(col(m, "tree_rss_mb"), col(p, "tree_rss_mb"))
        text += (f"; all processes, PSS sum {rt['median']:.2f}x: {m['tree_pss_mb']['median']:,.0f} vs "
                 f"{p['tree_pss_mb']['median']:,.0f} MiB (RSS sum {rs['median']:.2f}x: "
                 f"{m['tree_rss_mb']['median']:,.0f} MiB)")
        if rr["median"] <= limit < rt["median"]:
            status = f"met by the largest process; missed by all processes' PSS ({rt['median'] / limit:.2f}x the limit)"
        elif rt["median"] <= limit < rr["median"]:
            status += "; all processes' PSS within the limit"
    return text, status


def gen_goals(gen: dict[str, Any]) -> tuple[list[list[str]], list[str]]:
    """Issue 18's targets (generator at scale): rows (target, measured, met?) and notes on the missed ones."""
    cs = cases_by(gen)
    rows: list[list[str]] = []
    notes: list[str] = []
    for wl, name, wall_limit, rss_limit in ISSUE18_LIMITS:
        m, p, one = cs.get((wl, "moonstub --grpc")), cs.get((wl, "protoc")), cs.get((wl, "moonstub --grpc -j 1"))
        wall_t, rss_t = f"{name} wall ≤ {wall_limit:g}x protoc", f"{name} peak RSS ≤ {rss_limit:g}x protoc"
        if not (ran(m) and ran(p)):
            why = not_measured(gen, wl) if not (m or p) else (m or p or {}).get("note") or "not measured"
            rows += [[wall_t, why, "not measured"], [rss_t, why, "not measured"]]
            continue
        assert m is not None and p is not None
        r = paired(col(m, "wall"), col(p, "wall"))
        text = (f"{r['median']:.2f}x ({r['min']:.2f}-{r['max']:.2f}): {fmt_s(m['wall']['median'])} s vs "
                f"{fmt_s(p['wall']['median'])} s")
        if ran(one):
            text += f"; one process (`-j 1`): {paired(col(one, 'wall'), col(p, 'wall'))['median']:.2f}x"  # type: ignore[arg-type]
        rows.append([wall_t, text, goal_status(r["median"], wall_limit)])
        rows.append([rss_t, *memory_goal(m, p, rss_limit)])
    # linear growth of moonstub's cost, 10,000 -> 100,000 messages
    n0, n1 = BIG // 10, BIG
    label = (f"linear growth {n0:,} → {n1:,} messages (moonstub's time per message at {n1:,} ≤ "
             f"{LINEAR_LIMIT:g}x its time per message at {n0:,})")
    a, b = cs.get((f"synth-proto-{n0}", "moonstub --grpc")), cs.get((f"synth-proto-{n1}", "moonstub --grpc"))
    if ran(a) and ran(b):
        assert a is not None and b is not None
        t0, t1 = a["wall"]["median"], b["wall"]["median"]
        per = (t1 / n1) / (t0 / n0)
        text = (f"{1e6 * t0 / n0:,.0f} µs → {1e6 * t1 / n1:,.0f} µs a message: {per:.2f}x; wall time grows as "
                f"n^{growth(t0, t1, n0, n1):.2f} (CPU n^{growth(a['cpu']['median'], b['cpu']['median'], n0, n1):.2f}"
                f", peak RSS n^{growth(a['rss_mb']['median'], b['rss_mb']['median'], n0, n1):.2f}")
        pa, pb = cs.get((f"synth-proto-{n0}", "protoc")), cs.get((f"synth-proto-{n1}", "protoc"))
        if ran(pa) and ran(pb):
            text += f"; protoc's wall n^{growth(pa['wall']['median'], pb['wall']['median'], n0, n1):.2f}"  # type: ignore[index]
        rows.append([label, text + ")", goal_status(per, LINEAR_LIMIT)])
    else:
        rows.append([label, not_measured(gen, "synth"), "not measured"])
    return rows, notes


def before_after(gen: dict[str, Any]) -> list[str]:
    """Issue 18's before numbers (from its text) against this run's medians, for its two workloads."""
    cs = cases_by(gen)
    lines = ["### Generator at scale (issue 18): before and after", "",
             "Before: the numbers in issue 18's text (best of two rounds, memory in GB as it gives them). This run: "
             "medians of its rounds (MiB); ratios are moonstub's over protoc's (this run: the median of the per-round "
             "ratios). protoc writes `.py`, `.pyi` and `_grpc.py` in both. Memory is the peak RSS of the largest "
             "process; `all processes` is the peak PSS sum over the run's processes (section 1).", "",
             "| workload | run | moonstub wall s | CPU s | peak RSS | all processes (PSS) | protoc wall s | "
             "protoc peak RSS | wall / protoc | peak RSS / protoc |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for wl, (label, mw, mg, pw, pg) in ISSUE18_BEFORE.items():
        lines.append(f"| {label} | before (issue 18), moonstub --grpc | {mw} | — | {mg} GB | — | {pw} | {pg} GB | "
                     f"{float(mw) / float(pw):.2f}x | {float(mg) / float(pg):.2f}x |")
        p = cs.get((wl, "protoc"))
        here = label
        if wl.startswith("synth"):
            files = -(-BIG // gen.get("per_file", 100))
            here = f"synthetic, {BIG:,} messages in {files:,} files (bench/synth.py)"
        elif gen.get("googleapis"):
            here = f"googleapis ({gen['googleapis']['files']:,} files)"
        for peer, run in (("moonstub --grpc", "this run, moonstub --grpc (workers)"),
                          ("moonstub --grpc -j 1", "this run, moonstub --grpc -j 1 (one process)")):
            m = cs.get((wl, peer))
            if not (ran(m) and ran(p)):
                lines.append(f"| {here} | {run} | {not_measured(gen, wl)} | | | | | | | |")
                continue
            assert m is not None and p is not None
            rw = paired(col(m, "wall"), col(p, "wall"))
            rr = paired(col(m, "rss_mb"), col(p, "rss_mb"))
            rt = (f" (all processes: {paired(col(m, 'tree_pss_mb'), col(p, 'tree_pss_mb'))['median']:.2f}x)"
                  if has_tree(m) and has_tree(p) and peer == "moonstub --grpc" else "")
            lines.append(f"| {here} | {run} | {fmt_s(m['wall']['median'])} | {fmt_s(m['cpu']['median'])} | "
                         f"{m['rss_mb']['median']:,.0f} MiB | "
                         + (f"{m['tree_pss_mb']['median']:,.0f} MiB" if has_tree(m) else "—")
                         + f" | {fmt_s(p['wall']['median'])} | {p['rss_mb']['median']:,.0f} MiB | "
                         f"{rw['median']:.2f}x | {rr['median']:.2f}x{rt} |")
    lines += ["", f"The issue's synthetic schema had its {BIG:,} messages in 200 files; bench/synth.py puts at most "
              f"{gen.get('per_file', 100)} in a file, so the absolute synthetic numbers are of a differently shaped "
              "schema; the ratios to protoc compare runs on the same files.", ""]
    return lines


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
        row, before_notes = before_goal(codec)
        rows.append(row)
        notes += before_notes
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
        if phase_values(gen):
            profile_section(gen, body, findings)
    if codec:
        codec_section(codec, body, targets)
    if rpc:
        rpc_section(rpc, body, targets)
    if imp:
        import_section(imp, body)
    if output:
        output_section(output, body)
    gen_rows, gen_notes = gen_goals(gen) if gen else ([], [])
    goal_rows, goal_notes = goals(codec, imp, output)
    goal_rows, goal_notes = gen_rows + goal_rows, gen_notes + goal_notes
    out += ["## Summary", ""]
    if goal_rows:
        out += ["### Targets", "", "| target | measured | met? |", "| --- | --- | --- |"]
        out += [f"| {a} | {b} | {c} |" for a, b, c in goal_rows]
        out += ["", *goal_notes, *([""] if goal_notes else [])]
    if gen:
        out += before_after(gen)
    if goal_rows:
        out += ["### Comparisons", ""]
    out += ["| target / comparison | result | status |", "| --- | --- | --- |"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in targets]
    out += ["", *why_missed(gen, codec, gen_rows + targets), *slow_spots(gen, codec, rpc), *body]
    out += ["---", "", "Raw numbers: `bench/results/*.json`. Plots: " + ", ".join(f"`plots/{m}`" for m in made) +
            ". Regenerate everything with `make bench`; re-render from the JSON with `.venv/bin/python bench/report.py "
            "--render-only`.", ""]
    (HERE / "REPORT.md").write_text("\n".join(out))
    if gen:
        write_parse_md(gen, env)
    print(f"report: wrote bench/REPORT.md and {len(made)} plots")


def why_missed(gen: Any, codec: Any, rows: list[list[str]]) -> list[str]:
    """The explanations of missed targets (issue 18's and the comparisons), from this run's measurements."""
    lines: list[str] = []
    if not gen:
        return lines
    cs = cases_by(gen)
    missed = [t for t in rows if "missed" in t[2]]
    if not missed:
        return lines
    lines += ["### Missed targets: by how much and why", ""]
    for t in missed:
        head = f"- **{t[0]}** — {t[2]}."
        if t[0].startswith(("googleapis --grpc", f"{BIG:,} messages")) or "protoc on googleapis" in t[0]:
            wl = "googleapis" if "googleapis" in t[0] else f"synth-proto-{BIG}"
            m, p = cs.get((wl, "moonstub --grpc")), cs.get((wl, "protoc"))
            if not (ran(m) and ran(p)):
                lines.append(head)
                continue
            assert m is not None and p is not None
            facts = []
            if "RSS" in t[0]:
                one = cs.get((wl, "moonstub --grpc -j 1"))
                facts.append(f"Peak RSS of the largest process {m['rss_mb']['median']:,.0f} MiB, all processes "
                             + (f"{m['tree_pss_mb']['median']:,.0f} MiB (PSS sum; RSS sum "
                                f"{m['tree_rss_mb']['median']:,.0f} MiB)" if has_tree(m) else "not recorded")
                             + (f", in one process (`-j 1`) {one['rss_mb']['median']:,.0f} MiB" if ran(one) else "")  # type: ignore[index]
                             + f"; protoc {p['rss_mb']['median']:,.0f} MiB")
                front = cs.get(("googleapis", "moonstub parse+link"))
                if wl == "googleapis" and ran(front):
                    facts.append(f"parse+link alone peaks at {front['rss_mb']['median']:,.0f} MiB")  # type: ignore[index]
            else:
                facts.append(f"{fmt_s(m['wall']['median'])} s wall, {fmt_s(m['cpu']['median'])} s CPU against "
                             f"protoc's {fmt_s(p['wall']['median'])} s")
                if workers_text(gen, wl):
                    facts.append(workers_text(gen, wl))
                if wl == "googleapis" and phase_text(gen):
                    facts.append(phase_text(gen))
                if perf_text(gen):
                    facts.append(perf_text(gen) + " (googleapis)")
            facts.append(f"moonstub writes {m['out_bytes'] / 1e6:,.0f} MB, protoc {p['out_bytes'] / 1e6:,.0f} MB "
                         f"({m['out_bytes'] / max(1, p['out_bytes']):.2f}x)")
            lines.append(f"{head} " + "; ".join(facts) + ".")
        elif t[0].startswith("linear growth"):
            lines.append(f"{head} " + per_message_text(gen) + ".")
        elif "aristaproto" in t[0]:
            lines.append(head)
        elif "foryc" in t[0]:
            lines.append(f"{head} " + growth_text(gen, "fdl", "foryc"))
    lines.append("")
    return lines


def per_message_text(gen: dict[str, Any]) -> str:
    """moonstub --grpc's wall time per message at each synthetic size, and its growth between sizes."""
    cs = cases_by(gen)
    pts = [(n, cs[(f"synth-proto-{n}", "moonstub --grpc")]) for n in gen["sizes"]
           if ran(cs.get((f"synth-proto-{n}", "moonstub --grpc")))]
    if not pts:
        return ""
    text = "moonstub --grpc's wall time per message: " + ", ".join(
        f"{n:,}: {1e6 * c['wall']['median'] / n:,.0f} µs" for n, c in pts)
    steps = [f"{n0:,}→{n1:,} n^{growth(c0['wall']['median'], c1['wall']['median'], n0, n1):.2f}"
             for (n0, c0), (n1, c1) in zip(pts, pts[1:]) if c0["wall"]["median"] > 0]
    return text + ("; growth " + ", ".join(steps) if steps else "")


def growth_text(gen: dict[str, Any], kind: str, peer: str) -> str:
    """How a slow peer's time and moonstub's grow between the two largest sizes both ran at."""
    cs = cases_by(gen)
    pts = [(n, cs[(f"synth-{kind}-{n}", peer)], cs.get((f"synth-{kind}-{n}", "moonstub --grpc"))) for n in gen["sizes"]
           if cs.get((f"synth-{kind}-{n}", peer), {}).get("runs")]
    pts = [(n, c, b) for n, c, b in pts if b and b.get("runs")]
    if len(pts) < 2:
        return ""
    (n0, c0, b0), (n1, c1, b1) = pts[-2], pts[-1]
    ef = growth(c0["wall"]["median"], c1["wall"]["median"], n0, n1)
    em = growth(b0["wall"]["median"], b1["wall"]["median"], n0, n1)
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
    text += (f". At {smallest[0]:,} messages both are mostly start-up ({peer}: "
             f"{fmt_s(smallest[1]['wall']['median'])} s; moonstub: {fmt_s(smallest[2]['wall']['median'])} s).")
    return text


def gen_slow_spots(gen: dict[str, Any]) -> list[str]:
    """The generator's part of "what is slow": phases, workers, profile, memory and the synthetic sizes, all
    from this run's numbers."""
    lines: list[str] = []
    cs = cases_by(gen)
    if gen.get("googleapis"):
        get = lambda peer: cs.get(("googleapis", peer))  # noqa: E731
        full, front, msgs, proto = get("moonstub --grpc"), get("moonstub parse+link"), get("moonstub"), get("protoc")
        parts = [x for x in (phase_text(gen), workers_text(gen, "googleapis")) if x]
        if parts:
            lines.append("- **Where the generator's time goes (googleapis).** " + "; ".join(parts) + ".")
        cats, syms = perf_top(gen)
        if cats:
            lines.append("- **Profile top five** (perf, googleapis `--grpc`): "
                         + ", ".join(f"{i}. {c} {v:.1f}%" for i, (c, v) in enumerate(cats, 1))
                         + ". Hottest symbols: "
                         + ", ".join(f"`{s['symbol']}` {s['pct']:.1f}%" for s in syms) + ".")
        if ran(full) and ran(proto):
            assert full is not None and proto is not None
            text = (f"- **Memory and output volume (googleapis).** Peak RSS of the largest process "
                    f"{full['rss_mb']['median']:,.0f} MiB for `--grpc`")
            if has_tree(full):
                text += (f" (all processes: PSS sum {full['tree_pss_mb']['median']:,.0f} MiB, RSS sum "
                         f"{full['tree_rss_mb']['median']:,.0f} MiB)")
            if ran(front):
                text += f", {front['rss_mb']['median']:,.0f} MiB for parse+link alone"  # type: ignore[index]
            text += (f"; protoc {proto['rss_mb']['median']:,.0f} MiB (in its Python host). moonstub writes "
                     f"{full['out_bytes'] / 1e6:,.0f} MB, {full['out_bytes'] / max(1, proto['out_bytes']):.2f}x "
                     f"protoc's {proto['out_bytes'] / 1e6:,.0f} MB")
            if ran(msgs):
                text += f" (messages alone: {msgs['out_bytes'] / 1e6:,.0f} MB)"  # type: ignore[index]
            lines.append(text + ".")
    rows = []
    for n in gen["sizes"]:
        m, p = cs.get((f"synth-proto-{n}", "moonstub --grpc")), cs.get((f"synth-proto-{n}", "protoc"))
        if ran(m) and ran(p) and n >= 1000:
            r = paired(col(m, "wall"), col(p, "wall"))["median"]  # type: ignore[arg-type]
            rows.append((n, r))
    if rows:
        slower = [n for n, r in rows if r > 1]
        text = ("- **Synthetic schemas.** moonstub --grpc's wall time / protoc's, by messages: "
                + ", ".join(f"{n:,}: {r:.2f}x" for n, r in rows)
                + (f" (moonstub the slower one at {', '.join(f'{n:,}' for n in slower)})" if slower else
                   " (moonstub the faster one at every size)"))
        per = per_message_text(gen)
        big = max(n for n, _ in rows)
        m, p = cs[(f"synth-proto-{big}", "moonstub --grpc")], cs[(f"synth-proto-{big}", "protoc")]
        text += (f". {per}. At {big:,} messages moonstub writes {m['out_bytes'] / 1e6:,.1f} MB "
                 f"({m['out_bytes'] / max(1, p['out_bytes']):.2f}x protoc's {p['out_bytes'] / 1e6:,.1f} MB) and its "
                 f"largest process peaks at {m['rss_mb']['median']:,.0f} MiB (protoc: {p['rss_mb']['median']:,.0f}).")
        lines.append(text)
    return lines


def slow_spots(gen: Any, codec: Any, rpc: Any) -> list[str]:
    """What this run shows to be slow in moonstub, with its numbers."""
    lines = ["### What is slow in moonstub (from this run)", ""]
    if gen:
        lines += gen_slow_spots(gen)
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
            slower = [p for p in (BEFORE, "protobuf-python", "betterproto2", "aristaproto")
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
    parser.add_argument("--budget", type=float, default=float(os.environ.get("BENCH_BUDGET", 1140)))
    parser.add_argument("--render-only", action="store_true")
    parser.add_argument("--before-dir", type=Path, help="where bench_codec.py builds moonstub-before, the generator "
                                                         "before tables (default: build/bench-before)")
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
