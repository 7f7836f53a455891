"""Subcommands and listings beyond trajectories (registered into optviz.cli)."""
