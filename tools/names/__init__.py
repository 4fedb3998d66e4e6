"""Name -> structure resolution: a built-in table of common compounds and a cache, OPSIN for
systematic names, PubChem for trivial and trade names (`resolver.NameResolver`)."""

from tools.names.table import NameTable, Resolution, builtin_table

__all__ = ["NameTable", "Resolution", "builtin_table"]
