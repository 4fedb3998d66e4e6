"""Name -> structure resolution. Offline: a built-in table of common compounds (more to come:
OPSIN for systematic names, PubChem for trivial and trade names)."""

from tools.names.table import NameTable, Resolution, builtin_table

__all__ = ["NameTable", "Resolution", "builtin_table"]
