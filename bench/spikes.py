"""Spike trains of both simulators and the statistics the runner compares.

Reads engram's SONATA files with h5py, or without it through `h5dump -b` (hdf5-tools, which
engram's own dependencies install), and Brian2's raw result arrays with the standard
library; computes per population the spike count, the mean rate and the mean coefficient of
variation of the inter-spike intervals. numpy is used when present and is not required.
"""
import array
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:  # the smoke test runs wherever engram builds
    np = None
try:
    import h5py
except ImportError:
    h5py = None


def _from_file(path, typecode):
    a = array.array(typecode)
    with open(path, "rb") as f:
        a.frombytes(f.read())
    if sys.byteorder != "little":
        a.byteswap()
    return a


def _h5dump(path, dataset, typecode):
    if not shutil.which("h5dump"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "data.bin")
        r = subprocess.run(["h5dump", "-d", dataset, "-b", "LE", "-o", out, path],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode != 0 or not os.path.exists(out):
            return None
        return _from_file(out, typecode)


def read_engram(path, populations):
    """{population: (ids, times in ms)} from a SONATA file, or None when it cannot be read."""
    result = {}
    if h5py is not None:
        with h5py.File(path, "r") as f:
            for name in populations:
                g = f[f"spikes/{name}"]
                result[name] = (g["node_ids"][:], g["timestamps"][:])
        return result
    for name in populations:
        ids = _h5dump(path, f"/spikes/{name}/node_ids", "Q")
        times = _h5dump(path, f"/spikes/{name}/timestamps", "d")
        if ids is None or times is None:
            return None
        result[name] = (ids, times)
    return result


def read_raw(files, time_scale):
    """{population: (ids, times in ms)} from raw int32 ids and float64 times (x time_scale)."""
    result = {}
    for name, f in files.items():
        ids = _from_file(f["i"], "i")
        times = _from_file(f["t"], "d")
        if np is not None:
            result[name] = (np.frombuffer(ids, dtype=np.int32),
                            np.frombuffer(times, dtype=np.float64) * time_scale)
        else:
            result[name] = (ids, array.array("d", (t * time_scale for t in times)))
    return result


def mean_cv(ids, times, min_intervals=2):
    """Mean over neurons with at least `min_intervals` ISIs of std(ISI)/mean(ISI)."""
    if np is not None:
        ids = np.asarray(ids, dtype=np.int64)
        times = np.asarray(times, dtype=np.float64)
        if ids.size == 0:
            return None, 0
        order = np.lexsort((times, ids))
        ids, times = ids[order], times[order]
        isi = np.diff(times)
        same = ids[1:] == ids[:-1]
        neuron = ids[1:][same]
        isi = isi[same]
        if isi.size == 0:
            return None, 0
        n = np.bincount(neuron)
        s1 = np.bincount(neuron, isi)
        s2 = np.bincount(neuron, isi * isi)
        ok = n >= min_intervals
        if not ok.any():
            return None, 0
        mean = s1[ok] / n[ok]
        var = np.maximum(s2[ok] / n[ok] - mean * mean, 0.0)
        cv = np.sqrt(var) / mean
        return float(cv.mean()), int(ok.sum())
    trains = {}
    for i, t in zip(ids, times):
        trains.setdefault(int(i), []).append(float(t))
    cvs = []
    for train in trains.values():
        if len(train) <= min_intervals:
            continue
        train.sort()
        isi = [b - a for a, b in zip(train, train[1:])]
        m = sum(isi) / len(isi)
        v = sum((x - m) ** 2 for x in isi) / len(isi)
        cvs.append(v ** 0.5 / m)
    return (sum(cvs) / len(cvs) if cvs else None), len(cvs)


def population_stats(trains, sizes, duration_ms):
    """Per population: neurons, spikes, rate (Hz), mean CV of ISIs and neurons it covers."""
    stats = {}
    for name, n in sizes.items():
        ids, times = trains.get(name, ((), ()))
        cv, covered = mean_cv(ids, times)
        count = len(ids)
        stats[name] = {"neurons": n, "spikes": count,
                       "rate_hz": count / (n * duration_ms * 1e-3) if n else 0.0,
                       "cv_isi": cv, "cv_neurons": covered}
    return stats


def compare(reference, other, rate_tolerance=0.10, cv_tolerance=0.10):
    """Checks `other` against `reference` (both from population_stats): every population's
    mean rate within rate_tolerance (relative) and mean CV of ISIs within cv_tolerance
    (absolute). Returns (ok, [message per population])."""
    ok, notes = True, []
    for name, ref in reference.items():
        o = other.get(name)
        if o is None:
            return False, [f"{name}: missing"]
        r_ok = abs(o["rate_hz"] - ref["rate_hz"]) <= rate_tolerance * max(ref["rate_hz"], 1e-12)
        if ref["cv_isi"] is None or o["cv_isi"] is None:
            c_ok, cv_note = True, "CV n/a"
        else:
            c_ok = abs(o["cv_isi"] - ref["cv_isi"]) <= cv_tolerance
            cv_note = f"CV {o['cv_isi']:.3f} vs {ref['cv_isi']:.3f}"
        ok = ok and r_ok and c_ok
        notes.append(f"{name}: rate {o['rate_hz']:.2f} vs {ref['rate_hz']:.2f} Hz, {cv_note}"
                     f"{'' if r_ok and c_ok else ' MISMATCH'}")
    return ok, notes
