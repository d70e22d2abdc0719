"""Execute notebooks in place: fresh kernel, top to bottom, as nbval runs them.

    python tools/execute_notebooks.py notebooks/*.ipynb

nbval starts its kernel under pytest, where ipykernel does not forward output
written straight to the process's file descriptors (TensorFlow's C++ logs) into
the notebook. We turn that forwarding off too; otherwise the stored outputs would
hold stderr lines that nbval can never reproduce.

Before it runs a notebook, it writes nbgrader's cell metadata from the exercises'
`solution` tags, solution markers and check cells (cnnbook.editions), so that the
committed notebooks are nbgrader source notebooks as they are.
"""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from cnnbook.editions import with_nbgrader_metadata


def execute(notebook, folder, timeout=1200):
    """Run a notebook object in a fresh kernel whose working directory is ``folder``."""
    NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
        extra_arguments=["--IPKernelApp.capture_fd_output=False"],
    ).execute()
    return notebook


def execute_in_place(path):
    notebook = with_nbgrader_metadata(nbformat.read(path, as_version=4), Path(path).name)
    execute(notebook, Path(path).parent)
    nbformat.write(notebook, path)


if __name__ == "__main__":
    for notebook_path in sys.argv[1:]:
        print(f"executing {notebook_path}", flush=True)
        execute_in_place(notebook_path)
