"""The named reactions the agent knows, and two of them applied (no LLM, no network)."""

from tools.chem.mol import ChemLimits
from tools.chem.named_reactions import reaction_table, run_named_reaction

for r in reaction_table().values():
    print(f"{r.key:22} {r.name:41} reagents: {', '.join(r.reagents[:3]) or '-'}")

limits = ChemLimits()
for key, reactants in [
    ("fischer_esterification", ["CC(=O)O", "CCO"]),  # acetic acid + ethanol
    ("suzuki", ["Brc1ccccc1", "OB(O)c1ccc(C)cc1"]),  # bromobenzene + 4-tolylboronic acid
]:
    result = run_named_reaction(key, reactants, limits)
    for outcome in result["outcomes"]:
        reaction = " + ".join(outcome["reactants"]) + " -> " + ".".join(outcome["products"])
        print(f"{result['reaction']}: {reaction}")
