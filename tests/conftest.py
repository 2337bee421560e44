from pathlib import Path

import pytest

from har_rnn import files

# Read once, at import: some fixtures unset HAR_HAPT_DIR for the synthetic runs.
REAL_HAPT_DIR = files.hapt_dir()


@pytest.fixture(scope="session")
def real_hapt() -> Path:
    """The raw HAPT recordings (HAR_HAPT_DIR); every real-data test asks for them here."""
    if REAL_HAPT_DIR is None:
        pytest.skip("HAR_HAPT_DIR not set: the real HAPT recordings are not here (CI sets it and always runs this)")
    return REAL_HAPT_DIR


@pytest.fixture(scope="session")
def real_har(real_hapt, tmp_path_factory):
    """The windows rebuilt from the real recordings (`load_har`), once per session."""
    from har_rnn.data import load_har

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HAR_HAPT_DIR", str(real_hapt))
        mp.setenv("HAR_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        mp.delenv("HAR_DATA_DIR", raising=False)
        return load_har(log=lambda *_: None)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Keep every test's parse cache out of the repository's data/ folder."""
    monkeypatch.setenv("HAR_CACHE_DIR", str(tmp_path / "cache"))


@pytest.hookimpl(tryfirst=True)          # before `-m` deselects by marker
def pytest_collection_modifyitems(items):
    """Every real_data test is slow too: `make test-fast` (-m "not slow") leaves them all out.

    Tests marked `first` (is the rebuilt data the book's? does this machine match the
    committed numerics trace?) run before all others: when either fails, the suite's
    first failure names the cause, not a list of moved numbers half an hour later."""
    for item in items:
        if item.get_closest_marker("real_data"):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.get_closest_marker("first") is None)   # stable: the rest keep their order
