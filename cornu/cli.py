"""The `cornu` command: `cornu demo` trains the hello-world digit model; `cornu run script.py` runs a Keras script
(any generation) on cornu; `cornu version` says which cornu."""

import argparse
import sys

__all__ = ["main"]


def main(argv=None):
    """Entry point of the `cornu` console script (and `python -m cornu`)."""
    parser = argparse.ArgumentParser(prog="cornu", description="Keras, rebuilt on PyTorch.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="train the hello-world MNIST model and print its test accuracy")
    demo.add_argument("--epochs", type=int, default=20, help="passes over the training data (default 20)")
    demo.add_argument("--activation", default="relu", help="hidden activation: relu (default) or sigmoid")
    demo.add_argument("--data", default="mnist.npz", help="a full mnist.npz (default: the cache, else the sample)")
    demo.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2), help="fit's progress output (default 2)")
    run = commands.add_parser("run", help="run a Keras script on cornu: `import keras` (any generation) is cornu")
    run.add_argument("script", help="the Python file to run as __main__")
    run.add_argument("args", nargs=argparse.REMAINDER, help="the script's own arguments")
    commands.add_parser("version", help="print cornu's and torch's versions")
    args = parser.parse_args(argv)
    if args.command == "run":
        from cornu.legacy.run import run_script

        return run_script(args.script, args.args)
    if args.command == "demo":
        from cornu.demo import hello_world

        hello_world(epochs=args.epochs, activation=args.activation, path=args.data, verbose=args.verbose)
        return 0
    if args.command == "version":
        import torch

        import cornu

        print(f"cornu {cornu.__version__} (torch {torch.__version__}, device {cornu.backend.get_device()})")
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
