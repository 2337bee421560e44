import pytest


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Keep every test's parse cache out of the repository's data/ folder."""
    monkeypatch.setenv("HAR_CACHE_DIR", str(tmp_path / "cache"))
