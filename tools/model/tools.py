"""ChemDFM's knowledge as tools: free questions, reaction prediction, retrosynthesis, molecule
description and design.

The model is what a user serves ChemDFM for, but it can be wrong, so nothing it says is passed
on as a tool result without a check: every structure it proposes is parsed and canonicalised by
RDKit, several samples are drawn and voted on (the agreeing share is the confidence shown),
reactions are checked for elements that appear from nowhere, and output that is invalid or
cannot be checked is reported as such. Prompts follow the task formats ChemDFM was evaluated
in (an instruction, then "<input label>: ...\\n<output label>:"). A free answer is evidence of
kind "model": cited, and shown as the model's, not verified by a tool.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.chat import ChatModel, Generation, Message
from models.errors import ModelError
from tools.base import Tool, ToolError, ToolInputError, ToolResult, tool
from tools.chem.mol import ChemLimits, canonical_smiles, parse_smiles

logger = logging.getLogger(__name__)

MODEL_TOOLS = (
    "ask_chemistry_model",
    "predict_reaction",
    "retrosynthesis",
    "describe_molecule",
    "design_molecule",
)
# How every model tool's result is attributed: "<model> (not verified by a tool)".
NOT_VERIFIED = "not verified by a tool"
QUESTION_CHARS = 1000
ANSWER_TOKENS = 256
STRUCTURE_TOKENS = 160
SAMPLE_TEMPERATURE = 0.7

PREDICT = (
    "You are an expert chemist. Given the reactants of a reaction in SMILES, predict the main "
    "product. Reply with the product's SMILES only.\nReactants: {}\nProduct:"
)
RETRO = (
    "You are an expert chemist. Given a product in SMILES, propose the reactants that make it "
    "in one step. Reply with the reactants' SMILES joined by '.', nothing else.\n"
    "Product: {}\nReactants:"
)
DESIGN = (
    "You are an expert chemist. Given the molecular requirement description, design a molecule. "
    "Reply with its SMILES only.\nMolecular requirement description: {}\nMolecule SMILES:"
)
DESCRIBE = (
    "You are an expert chemist. Describe the molecule given in SMILES: what kind of compound "
    "it is, its roles and uses.\nMolecule SMILES: {}\nMolecule description:"
)


class SmilesArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    smiles: str = Field(description="SMILES of the molecule.")


class ReactantsArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reactants: list[str] = Field(
        min_length=1, max_length=16, description="SMILES of the reactants and reagents."
    )


class QuestionArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(
        min_length=1, max_length=QUESTION_CHARS, description="The chemistry question, in words."
    )


class DesignArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(
        min_length=1,
        max_length=QUESTION_CHARS,
        description="What the molecule should be or do, in words.",
    )


def _first_structure(reply: str) -> str:
    """The SMILES a reply starts with (models add words after it)."""
    words = reply.strip().split()
    return words[0].strip(".,;`'\"") if words else ""


def vote(replies: list[str], limits: ChemLimits) -> tuple[str | None, float, list[str]]:
    """The structure most samples agree on (canonical SMILES), its share of all samples, and
    the replies RDKit could not read."""
    votes: Counter[str] = Counter()
    invalid = []
    for reply in replies:
        raw = _first_structure(reply)
        try:
            votes[canonical_smiles(raw, limits)] += 1
        except ToolInputError:
            invalid.append(raw or reply.strip()[:40])
    if not votes:
        return None, 0.0, invalid
    best, n = votes.most_common(1)[0]
    return best, n / len(replies), invalid


def _elements(smiles: str, limits: ChemLimits) -> Counter[str]:
    mol = parse_smiles(smiles, limits)
    counts: Counter[str] = Counter()
    for atom in mol.GetAtoms():
        if atom.GetSymbol() != "H":
            counts[atom.GetSymbol()] += 1
    return counts


def new_elements(inputs: list[str], outputs: str, limits: ChemLimits) -> list[str]:
    """Elements in `outputs` found in none of `inputs`: atoms from nowhere, so the proposed
    reaction cannot be right (hydrogen is not counted; reagents may bring it)."""
    have: set[str] = set()
    for s in inputs:
        have |= set(_elements(s, limits))
    return sorted(set(_elements(outputs, limits)) - have)


@dataclass(frozen=True)
class Voted:
    """The structure most samples agreed on, and how the vote went."""

    smiles: str
    share: float
    samples: int
    invalid: int

    def agreement(self) -> str:
        return f"{self.share:.0%} of {self.samples} samples agree"

    def data(self) -> dict[str, Any]:
        return {
            "agreement": round(self.share, 2),
            "samples": self.samples,
            "invalid_samples": self.invalid,
            "model_calls": self.samples,
        }


class ModelTools:
    """The tools, bound to one chat model.

    Args:
        model: the chemistry LLM. label: how its answers are attributed ("ChemDFM").
        samples: replies drawn per structure question and voted on (1: one greedy reply).
        limits: RDKit bounds for the structures it proposes.
    Each result's data says how many model requests it took (`model_calls`), so the
    question's model-call budget counts them.
    """

    def __init__(
        self,
        model: ChatModel,
        label: str = "ChemDFM",
        samples: int = 3,
        limits: ChemLimits | None = None,
    ) -> None:
        self.model = model
        self.label = label
        self.samples = max(1, samples)
        self.limits = limits or ChemLimits()

    def _ask(self, prompt: str, max_tokens: int, n: int = 1) -> list[str]:
        messages = [Message(role="user", content=prompt)]
        out = []
        for i in range(n):
            # The first reply is greedy; the others sample, so agreement means something.
            gen = Generation(
                max_tokens=max_tokens, temperature=0.0 if i == 0 else SAMPLE_TEMPERATURE
            )
            try:
                out.append(self.model.complete(messages, gen))
            except ModelError as exc:
                raise ToolError(f"the chemistry model failed: {exc}") from exc
        return out

    def _structure(self, prompt: str, what: str) -> Voted:
        replies = self._ask(prompt, STRUCTURE_TOKENS, self.samples)
        best, share, invalid = vote(replies, self.limits)
        if best is None:
            shown = "; ".join(repr(r) for r in invalid[:3])
            raise ToolError(
                f"{self.label} proposed no valid {what} in {len(replies)} samples (RDKit "
                f"could not read: {shown}); no result is given"
            )
        return Voted(best, share, len(replies), len(invalid))

    def tools(self) -> list[Tool]:
        label, limits = self.label, self.limits

        @tool("ask_chemistry_model", QuestionArgs)
        def ask_chemistry_model(args: QuestionArgs) -> ToolResult:
            """Ask the chemistry language model a question no other tool answers (a pKa, a
            mechanism, a use). Its answer is the model's knowledge, not verified by a tool, and
            is shown as such."""
            answer = self._ask(args.question, ANSWER_TOKENS)[0].strip()
            if not answer:
                raise ToolError(f"{label} gave an empty answer")
            return ToolResult(
                summary=f"{label} ({NOT_VERIFIED}): {answer}",
                data={"answer": answer, "model": label, "model_calls": 1},
            )

        @tool("predict_reaction", ReactantsArgs)
        def predict_reaction(args: ReactantsArgs) -> ToolResult:
            """Predict the main product of reactants (SMILES) with the chemistry language
            model; samples are voted on and the product is checked by RDKit."""
            reactants = [canonical_smiles(s, limits) for s in args.reactants]
            joined = ".".join(reactants)
            voted = self._structure(PREDICT.format(joined), "product")
            extra = new_elements(reactants, voted.smiles, limits)
            return ToolResult(
                summary=f"{label} ({NOT_VERIFIED}) predicts {joined}>>{voted.smiles} "
                f"({voted.agreement()})"
                + (f"; but {', '.join(extra)} appear from nowhere" if extra else ""),
                data={
                    "reactants": reactants,
                    "product": voted.smiles,
                    **voted.data(),
                    "elements_ok": not extra,
                },
            )

        @tool("retrosynthesis", SmilesArgs)
        def retrosynthesis(args: SmilesArgs) -> ToolResult:
            """Propose one-step reactants for a product (SMILES) with the chemistry language
            model; samples are voted on and checked by RDKit."""
            product = canonical_smiles(args.smiles, limits)
            voted = self._structure(RETRO.format(product), "reactants")
            reactants = voted.smiles.split(".")
            missing = new_elements(reactants, product, limits)
            return ToolResult(
                summary=f"{label} ({NOT_VERIFIED}) proposes {voted.smiles}>>{product} "
                f"({voted.agreement()})"
                + (f"; but no reactant brings {', '.join(missing)}" if missing else ""),
                data={
                    "product": product,
                    "reactants": reactants,
                    **voted.data(),
                    "elements_ok": not missing,
                },
            )

        @tool("describe_molecule", SmilesArgs)
        def describe_molecule(args: SmilesArgs) -> ToolResult:
            """Describe a molecule (SMILES) in words with the chemistry language model: class,
            roles, uses. Not verified by a tool."""
            smiles = canonical_smiles(args.smiles, limits)
            text = self._ask(DESCRIBE.format(smiles), ANSWER_TOKENS)[0].strip()
            if not text:
                raise ToolError(f"{label} gave an empty description")
            return ToolResult(
                summary=f"{label} ({NOT_VERIFIED}) on {smiles}: {text}",
                data={"smiles": smiles, "answer": text, "model": label, "model_calls": 1},
            )

        @tool("design_molecule", DesignArgs)
        def design_molecule(args: DesignArgs) -> ToolResult:
            """Design a molecule that fits a description in words with the chemistry language
            model; samples are voted on and the structure is checked by RDKit."""
            voted = self._structure(DESIGN.format(args.description), "structure")
            return ToolResult(
                summary=f"{label} ({NOT_VERIFIED}) designs {voted.smiles} ({voted.agreement()})",
                data={"smiles": voted.smiles, **voted.data()},
            )

        return [
            ask_chemistry_model,
            predict_reaction,
            retrosynthesis,
            describe_molecule,
            design_molecule,
        ]
