"""The OpenAI client against `chemagent api` (start it first; see the HTTP API page)."""

from openai import OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")  # or your --token
messages = [{"role": "user", "content": "What is the formula of aspirin?"}]
reply = client.chat.completions.create(model="chemagent", messages=messages)
print(reply.choices[0].message.content)
messages += [reply.choices[0].message, {"role": "user", "content": "and its logP?"}]
for chunk in client.chat.completions.create(model="chemagent", messages=messages, stream=True):
    if step := (chunk.model_extra or {}).get("step"):
        print("  step:", step["message"].splitlines()[0])
    for choice in chunk.choices:
        print(choice.delta.content or "", end="")
print()
print(reply.model_extra["answer"]["citations"][1]["summary"])
