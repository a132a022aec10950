"""Fail the setup when a forbidden package entered the virtual environment.

torchvision from PyPI does not import beside the CPU build of torch 2.13.0,
wandb is never used, and CUDA wheels would add gigabytes for nothing.
"""

import sys
from importlib import metadata

FORBIDDEN_PREFIXES = ("torchvision", "wandb", "nvidia-", "triton")


def main() -> int:
    installed = sorted(dist.metadata["Name"].lower() for dist in metadata.distributions())
    forbidden = [name for name in installed if name.startswith(FORBIDDEN_PREFIXES)]
    if forbidden:
        print(f"error: forbidden packages in the environment: {', '.join(forbidden)}; "
              "delete .venv and run `make setup` again", file=sys.stderr)
        return 1

    torch_version = metadata.version("torch")
    if not torch_version.startswith("2.13.0"):
        print(f"error: torch {torch_version} is installed, expected the CPU build 2.13.0; delete .venv and run `make setup`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
