"""Execute notebooks in place: fresh kernel, top to bottom, as nbval runs them.

    python tools/execute_notebooks.py notebooks/*.ipynb
    python tools/execute_notebooks.py --metadata-only notebooks/03_2_pooling.ipynb

nbval starts its kernel under pytest, where ipykernel does not forward output
written straight to the process's file descriptors (TensorFlow's C++ logs) into
the notebook. We turn that forwarding off too; otherwise the stored outputs would
hold stderr lines that nbval can never reproduce.

Before it runs a notebook, it writes nbgrader's cell metadata from the exercises'
`solution` tags, solution markers and check cells (cnnbook.editions), so that the
committed notebooks are nbgrader source notebooks as they are. With
``--metadata-only`` it writes only that metadata and keeps the stored outputs (for an
edit that changes no output, such as a comment or a tag).
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
    # Saved widget state draws controls that do nothing without a kernel; the book removes
    # those outputs (tag remove-output), and the state would only add weight. (nbclient's
    # store_widget_state=False cannot be used: its output widgets then fail, nbclient 0.11.)
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)


def write_metadata_in_place(path):
    nbformat.write(with_nbgrader_metadata(nbformat.read(path, as_version=4), Path(path).name), path)


if __name__ == "__main__":
    metadata_only = "--metadata-only" in sys.argv[1:]
    for notebook_path in [arg for arg in sys.argv[1:] if arg != "--metadata-only"]:
        if metadata_only:
            print(f"writing nbgrader metadata into {notebook_path}", flush=True)
            write_metadata_in_place(notebook_path)
        else:
            print(f"executing {notebook_path}", flush=True)
            execute_in_place(notebook_path)
