"""The MCP server through the official SDK's own client, over stdio and streamable HTTP."""

from __future__ import annotations

import os
import sys

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tests.api_server import api_server


async def exercise(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert {"ask", "molecular_formula", "molecular_weight"} <= set(tools)
    assert "recognize_structure" not in tools  # takes a path on the server
    assert tools["molecular_formula"].input_schema["properties"]["smiles"]["type"] == "string"

    formula = await client.call_tool("molecular_formula", {"smiles": "CC(=O)Oc1ccccc1C(=O)O"})
    assert not formula.is_error
    assert formula.structured_content["data"]["formula"] == "C9H8O4"

    bad = await client.call_tool("molecular_formula", {"smiles": "C1CC"})
    assert bad.is_error and "SMILES" in bad.content[0].text

    answer = await client.call_tool("ask", {"question": "What is the formula of caffeine?"})
    assert not answer.is_error
    assert "C8H10N4O2" in answer.content[0].text
    assert answer.structured_content["citations"], answer.structured_content


@pytest.mark.slow
def test_mcp_over_stdio(chemagent_home):
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "agent", "mcp"],
        env={**os.environ, "CHEMAGENT_HOME": str(chemagent_home)},
    )

    async def main() -> None:
        async with Client(params, read_timeout_seconds=120) as client:
            await exercise(client)

    anyio.run(main)


def test_mcp_over_http_inside_the_api_with_a_token(tmp_path):
    with api_server(tmp_path / "home", api={"token": "t0k"}) as srv:

        async def main() -> None:
            http = httpx2.AsyncClient(headers={"Authorization": "Bearer t0k"}, timeout=120)
            async with (
                http,
                Client(streamable_http_client(srv.url + "/mcp", http_client=http)) as c,
            ):
                await exercise(c)

        anyio.run(main)
