"""An MCP client talking to `chemagent mcp` over stdio: the tools it offers, then `ask`."""

import asyncio
import textwrap

from mcp import Client
from mcp.client.stdio import StdioServerParameters


async def main() -> None:
    async with Client(StdioServerParameters(command="chemagent", args=["mcp"])) as client:
        tools = await client.list_tools()
        print(textwrap.fill(", ".join(sorted(t.name for t in tools.tools)), 96))
        result = await client.call_tool("ask", {"question": "What is the formula of caffeine?"})
        print(result.content[0].text)


asyncio.run(main())
