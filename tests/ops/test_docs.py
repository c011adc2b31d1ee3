"""/docs and /redoc work without a network: their assets are served by the service."""

import re


async def test_swagger_ui_loads_only_from_the_service(client):
    page = await client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert assets, page.text
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is loaded from another host"
        loaded = await client.get(asset)
        assert loaded.status_code == 200, asset
        assert len(loaded.content) > 100, asset


async def test_redoc_loads_only_from_the_service(client):
    page = await client.get("/redoc")
    assert page.status_code == 200
    scripts = re.findall(r"""src=["']([^"']+)["']""", page.text)
    assert scripts and all(src.startswith("/") for src in scripts), scripts
    assert "fonts.googleapis" not in page.text
