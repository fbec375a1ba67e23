"""The extraction evaluation: the benchmark's metric, the shared page set, the gate."""
