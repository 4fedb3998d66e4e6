"""Ask the assistant from Python: the answer, its tool steps, then a follow-up in the thread."""

from agent import Assistant

with Assistant() as a:  # or Assistant({"agent": {"max_steps": 3}})
    ans = a.ask("Does naproxen contain the substructure COc1ccccc1, and what is its logP?")
    print(ans.text)
    for step in ans.steps:
        print(f"  step: {step.tool} ok={step.ok} {step.seconds:.3f} s: {step.summary}")
    follow = a.ask("and its QED?", thread_id=ans.thread_id)  # "its" is naproxen
    print(follow.text)
