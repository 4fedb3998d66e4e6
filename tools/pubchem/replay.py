"""A local HTTP server that answers like PubChem from recorded responses.

It serves the real PUG-REST and PUG-View answers recorded in `shared/data/pubchem` (see its
MANIFEST: the files hold the inner part of each body, which is wrapped back here) at their
real paths, builds `PropertyTable` and `InformationList` bodies from the recorded records
following the documented PUG-REST schema, and answers unknown identifiers with PubChem's own
`PUGREST.NotFound` fault. Faults can be injected to test the client: 503 ServerBusy, slow
answers, malformed JSON and dropped connections.

Run it by hand with `python -m tools.pubchem.replay --data ../shared/data/pubchem`.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from tools.pubchem.records import pc_prop

log = logging.getLogger(__name__)

Fault = Literal["busy", "slow", "malformed", "drop", "gateway_timeout"]

_PROPS_FROM_PC = {
    "IUPACName": ("IUPAC Name", "Preferred"),
    "MolecularFormula": ("Molecular Formula", None),
    "MolecularWeight": ("Molecular Weight", None),
    "InChI": ("InChI", "Standard"),
    "InChIKey": ("InChIKey", "Standard"),
    "XLogP": ("Log P", None),
    "TPSA": ("Topological", "Polar Surface Area"),
}


@dataclass
class Faults:
    """What goes wrong, on purpose. `queue` faults hit the next requests in order; `busy_rate`
    answers that share of the remaining requests with 503 ServerBusy (seeded, so repeatable)."""

    queue: deque[Fault] = field(default_factory=deque)
    busy_rate: float = 0.0
    slow_s: float = 2.0
    seed: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def next(self) -> Fault | None:
        if self.queue:
            return self.queue.popleft()
        if self.busy_rate and self._rng.random() < self.busy_rate:
            return "busy"
        return None


@dataclass(frozen=True)
class Hit:
    """One request as the server saw it."""

    at: float
    method: str
    path: str
    status: int


@dataclass
class Compound:
    cid: int
    pc: dict[str, Any] | None = None
    view: dict[str, Any] | None = None


class Catalogue:
    """The recorded compounds, indexed the ways PubChem resolves them."""

    def __init__(self, data_dir: Path) -> None:
        if not (data_dir / "pug_rest").is_dir():
            raise FileNotFoundError(
                f"no recorded PubChem responses in {data_dir} (expected pug_rest/ and pug_view/); "
                "pass the path of shared/data/pubchem"
            )
        self.by_cid: dict[int, Compound] = {}
        self.keys: dict[tuple[str, str], int] = {}
        self.known_no_cid: dict[tuple[str, str], dict[str, Any]] = {}
        for path in sorted((data_dir / "pug_rest").glob("compound_*.PC_Compounds.json")):
            m = re.fullmatch(r"compound_(name|smiles|inchikey)_(.+)\.PC_Compounds\.json", path.name)
            if not m:
                continue
            records = json.loads(path.read_text(encoding="utf-8"))
            rec = records[0]
            cid = rec.get("id", {}).get("id", {}).get("cid")
            ns, ident = m.group(1), m.group(2)
            if not cid:
                self.known_no_cid[(ns, ident)] = rec
                continue
            self.by_cid.setdefault(cid, Compound(cid)).pc = rec
            self._index(ns, ident, cid)
        for path in sorted((data_dir / "pug_view").glob("data_compound_*.json")):
            body = json.loads(path.read_text(encoding="utf-8"))
            record = body.get("Record", body) if "Record" in body else body
            cid = int(record["RecordNumber"])
            entry = self.by_cid.setdefault(cid, Compound(cid))
            # Keep the newest capture when two exist (the plain `<cid>.Record.json`).
            if entry.view is None or re.fullmatch(r"data_compound_\d+\.Record\.json", path.name):
                entry.view = record
        for cid, entry in self.by_cid.items():
            self._index("cid", str(cid), cid)
            for name in self.names(entry):
                self._index("name", name, cid)
            key = self.prop(entry, "InChIKey")
            if key:
                self._index("inchikey", key, cid)
            smiles = self.prop(entry, "SMILES")
            if smiles:
                self._index("smiles", str(smiles), cid)

    @staticmethod
    def _norm(ns: str, ident: str) -> str:
        ident = ident.strip()
        if ns == "name":
            return ident.lower()
        if ns == "smiles":
            # PubChem standardises a query structure; RDKit's canonical form stands in for that.
            from rdkit import Chem

            mol = Chem.MolFromSmiles(ident)
            return Chem.MolToSmiles(mol) if mol is not None else ident
        return ident

    def _index(self, ns: str, ident: str, cid: int) -> None:
        self.keys.setdefault((ns, self._norm(ns, ident)), cid)

    def find(self, ns: str, ident: str) -> Compound | None:
        cid = self.keys.get((ns, self._norm(ns, ident)))
        return self.by_cid.get(cid) if cid else None

    @staticmethod
    def _view_strings(view: dict[str, Any], heading: str) -> list[str]:
        out: list[str] = []

        def walk(sections: list[dict[str, Any]]) -> None:
            for s in sections:
                if s.get("TOCHeading") == heading:
                    for info in s.get("Information", []):
                        for item in info.get("Value", {}).get("StringWithMarkup", []):
                            out.append(str(item.get("String", "")))
                walk(s.get("Section", []))

        walk(view.get("Section", []))
        return out

    def names(self, entry: Compound) -> list[str]:
        names: list[str] = []
        if entry.view:
            names.append(str(entry.view.get("RecordTitle", "")))
            names += self._view_strings(entry.view, "Depositor-Supplied Synonyms")
            names += self._view_strings(entry.view, "CAS")
        if entry.pc:
            iupac = pc_prop(entry.pc.get("props", []), "IUPAC Name", "Preferred")
            if iupac:
                names.append(str(iupac))
        return [n for n in names if n.strip()]

    def prop(self, entry: Compound, name: str) -> Any:
        if name == "Title":
            return entry.view.get("RecordTitle") if entry.view else None
        if entry.pc is not None:
            if name in ("SMILES", "ConnectivitySMILES"):
                pairs = (("Absolute", "Isomeric"), ("Connectivity", "Canonical"))
                for label in pairs[name != "SMILES"]:
                    value = pc_prop(entry.pc.get("props", []), "SMILES", label)
                    if value:
                        return value
            elif name in _PROPS_FROM_PC:
                label, sub = _PROPS_FROM_PC[name]
                value = pc_prop(entry.pc.get("props", []), label, sub)
                if value is not None:
                    return value
        if entry.view is not None:
            heading = {
                "SMILES": ("SMILES", "Isomeric SMILES", "Canonical SMILES"),
                "ConnectivitySMILES": ("Canonical SMILES", "SMILES"),
                "InChI": ("InChI",),
                "InChIKey": ("InChIKey",),
                "MolecularFormula": ("Molecular Formula",),
                "IUPACName": ("IUPAC Name",),
            }.get(name, ())
            for h in heading:
                values = self._view_strings(entry.view, h)
                if values:
                    return values[0]
        return None

    def synonyms(self, entry: Compound) -> list[str]:
        if entry.view is None:
            return []
        return self._view_strings(entry.view, "Depositor-Supplied Synonyms")


def _not_found(message: str = "No CID found", detail: str = "") -> dict[str, Any]:
    fault: dict[str, Any] = {"Code": "PUGREST.NotFound", "Message": message}
    if detail:
        fault["Details"] = [detail]
    return {"Fault": fault}


_BUSY = {"Fault": {"Code": "PUGREST.ServerBusy", "Message": "Too many requests or server too busy"}}
_TIMEOUT = {"Fault": {"Code": "PUGREST.Timeout", "Message": "Request timed out"}}
_OPS = re.compile(r"^(?:(property)/([A-Za-z,]+)/|(synonyms)/|(cids)/)?JSON$", re.IGNORECASE)


class ReplayServer:
    """`with ReplayServer(data_dir) as srv:` then point the client at `srv.api_base`."""

    def __init__(self, data_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.catalogue = Catalogue(Path(data_dir))
        self.faults = Faults()
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"server_ref": self})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def api_base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/rest"

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.queue.extend(faults)

    def set_busy_rate(self, rate: float, seed: int = 0) -> None:
        with self._lock:
            self.faults.busy_rate = rate
            self.faults._rng.seed(seed)

    def reset(self) -> None:
        with self._lock:
            self.faults = Faults()
            self.hits.clear()

    def record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.hits.append(Hit(time.monotonic(), method, path, status))

    def next_fault(self) -> Fault | None:
        with self._lock:
            return self.faults.next()

    def max_rate(self, window_s: float = 1.0) -> int:
        """The most requests that arrived within any `window_s` seconds."""
        times = sorted(h.at for h in self.hits)
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= window_s:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    # -- answers ---------------------------------------------------------------------------

    def answer(self, method: str, path: str, query: str, form: dict[str, str]) -> tuple[int, Any]:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:3] == ["rest", "pug", "compound"] and len(parts) >= 5:
            ns = parts[3]
            if method == "POST":
                ident, op = form.get(ns, ""), "/".join(parts[4:])
            else:
                ident, op = parts[4], "/".join(parts[5:])
            return self._compound(ns, ident, op)
        if parts[:4] == ["rest", "pug_view", "data", "compound"] and len(parts) == 6:
            return self._view(parts[4], parse_qs(query).get("heading", [None])[0])
        return 400, {"Fault": {"Code": "PUGREST.BadRequest", "Message": "Unrecognized path"}}

    def _compound(self, ns: str, ident: str, op: str) -> tuple[int, Any]:
        m = _OPS.match(op)
        if m is None:
            return 400, {"Fault": {"Code": "PUGREST.BadRequest", "Message": f"Bad operation {op}"}}
        cat = self.catalogue
        entry = cat.find("name" if ns == "fastformula" else ns, ident)
        if ns == "fastformula":
            matches = [
                e for e in cat.by_cid.values() if str(cat.prop(e, "MolecularFormula")) == ident
            ]
            entry = matches[0] if matches else None
        if entry is None:
            if ns == "smiles" and (ns, ident) in cat.known_no_cid and op.upper() == "JSON":
                return 200, {"PC_Compounds": [cat.known_no_cid[(ns, ident)]]}
            return 404, _not_found(detail=f"No CID found that matches the given {ns}")
        if m.group(1):
            names = m.group(2).split(",")
            row: dict[str, Any] = {"CID": entry.cid}
            for n in names:
                value = cat.prop(entry, n)
                if value is not None:
                    row[n] = value
            return 200, {"PropertyTable": {"Properties": [row]}}
        if m.group(3):
            info = {"CID": entry.cid, "Synonym": cat.synonyms(entry)}
            return 200, {"InformationList": {"Information": [info]}}
        if m.group(4):
            return 200, {"IdentifierList": {"CID": [entry.cid]}}
        if entry.pc is None:
            return 404, _not_found(detail="no full record recorded for this compound")
        return 200, {"PC_Compounds": [entry.pc]}

    def _view(self, cid: str, heading: str | None) -> tuple[int, Any]:
        entry = self.catalogue.by_cid.get(int(cid)) if cid.isdigit() else None
        if entry is None or entry.view is None:
            return 404, _not_found("No record data found", f"No data found for CID {cid}")
        record = entry.view
        if heading:
            section = _keep_heading(record.get("Section", []), heading)
            if not section:
                return 404, _not_found("No data found", f"No {heading} for CID {cid}")
            record = {k: v for k, v in record.items() if k != "Section"} | {"Section": section}
        return 200, {"Record": record}


def _keep_heading(sections: list[dict[str, Any]], heading: str) -> list[dict[str, Any]]:
    """The section tree pruned to the branches that lead to `heading`, as PubChem does."""
    kept = []
    for s in sections:
        if s.get("TOCHeading", "").lower() == heading.lower():
            kept.append(s)
            continue
        inner = _keep_heading(s.get("Section", []), heading)
        if inner:
            kept.append(
                {k: v for k, v in s.items() if k not in ("Section", "Information")}
                | {"Section": inner}
            )
    return kept


class _Handler(BaseHTTPRequestHandler):
    server_ref: ReplayServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("replay: " + format, *args)

    def do_GET(self) -> None:
        self._serve("GET", {})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        self._serve("POST", form)

    def _serve(self, method: str, form: dict[str, str]) -> None:
        srv = self.server_ref
        url = urlsplit(self.path)
        fault = srv.next_fault()
        if fault == "drop":
            srv.record(method, self.path, 0)
            self.close_connection = True
            return
        if fault == "busy":
            status, body = 503, _BUSY
        elif fault == "gateway_timeout":
            status, body = 504, _TIMEOUT
        else:
            status, body = srv.answer(method, url.path, url.query, form)
        # Logged on arrival, so a slow answer still counts in the second it was asked.
        srv.record(method, self.path, status)
        if fault == "slow":
            time.sleep(srv.faults.slow_s)
        data = b'{"PC_Compounds": [{"id": ' if fault == "malformed" else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("replay: the client left before the answer (%s)", url.path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/pubchem"))
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    srv = ReplayServer(args.data, port=args.port)
    log.info("serving PubChem replays at %s", srv.api_base)
    srv._httpd.serve_forever()


if __name__ == "__main__":
    main()
