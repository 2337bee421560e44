"""The data layer's command line: ``python -m har_rnn.data COMMAND`` (see `har_rnn.data`)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import (HarDataError, build_from_hapt, display_path, fetch, get_data_home, load_har, locate, rebuilt_dir,
               resolve, validate)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m har_rnn.data",
                                     description="Find, fetch, rebuild and check the UCI HAR dataset.")
    parser.add_argument("--data-home", type=Path, default=None,
                        help="where downloads, rebuilds and the parse cache go (default: $HAR_DATA_HOME, "
                             "the clone's data/, else ~/har_rnn_data)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("locate", help="say which folder would be used, and the data home")
    p_fetch = sub.add_parser("fetch", help="download the official zip (or HAPT with --hapt)")
    p_fetch.add_argument("--hapt", action="store_true", help="download HAPT and rebuild from it")
    p_fetch.add_argument("--out", type=Path, default=None)
    p_build = sub.add_parser("build-from-hapt", help="rebuild UCI HAR windows from raw HAPT data")
    p_build.add_argument("src", type=Path, help="folder holding RawData/, or the HAPT zip")
    p_build.add_argument("--out", type=Path, default=None)
    p_val = sub.add_parser("validate", help="check a UCI HAR folder and print a summary")
    p_val.add_argument("dir", type=Path, nargs="?", default=None)
    sub.add_parser("prepare", help="resolve the data (rebuild/fetch if needed) and fill the cache")
    args = parser.parse_args(argv)
    try:
        home = args.data_home
        if args.command == "locate":
            found, how = locate(data_home=home)
            print(f"{display_path(found) if found else 'nothing yet'} (via {how}); "
                  f"data home {display_path(get_data_home(home))}")
        elif args.command == "fetch":
            fetch(args.out, hapt=args.hapt, data_home=home)
        elif args.command == "build-from-hapt":
            out = args.out or rebuilt_dir(home)
            build_from_hapt(args.src, out)
            print(validate(out).summary())
        elif args.command == "validate":
            folder = args.dir if args.dir is not None else resolve(data_home=home, allow_download=False)
            print(validate(folder).summary())
            print("OK")
        elif args.command == "prepare":
            print(load_har(data_home=home).summary())
    except HarDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
