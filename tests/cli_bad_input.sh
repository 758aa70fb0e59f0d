#!/usr/bin/env bash
# Bad input gets one line on stderr naming the file or parameter, exit status 2,
# and writes nothing.
set -u
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cp "$MFDD_SOURCE_DIR/params/default.prm" base.prm
sed -i 's|output/default|out|' base.prm
source "$MFDD_SOURCE_DIR/tests/cli_expect_error.sh"

expect_error "missing.prm" info missing.prm
# A folder given as the parameter file (an ifstream would read it as empty).
mkdir folder.prm
expect_error "folder.prm: is a folder" pde folder.prm
expect_error "unknown command" frobnicate base.prm
expect_error "Nonexistent section" info base.prm --set "Nonexistent section/Key=1"
expect_error "Colour" info base.prm --set "Problem/Colour=red"
expect_error "Dimension d" info base.prm --set "Problem/Dimension d=forty"
expect_error "Dimension d" info base.prm --set "Problem/Dimension d=0"
expect_error "Delta" info base.prm --set "Problem/Delta=1"
expect_error "Delta" info base.prm --set "Problem/Delta=1.5"
expect_error "Delta" info base.prm --set "Problem/Delta=0"
expect_error "Signal block size s0" info base.prm --set "Problem/Data model=anisotropic" --set "Problem/Signal block size s0=40"
expect_error "Signal block size s0" info base.prm --set "Problem/Data model=anisotropic" --set "Problem/Signal block size s0=0"
expect_error "t1" info base.prm --set "Problem/Truncated ReLU/t1=2"
expect_error "Initial kappa" info base.prm --set "Problem/Initial kappa=0"
expect_error "Initial kappa" info base.prm --set "Problem/Initial kappa=-1"
expect_error "Activation" info base.prm --set "Problem/Activation=sigmoid"
expect_error "Data model" info base.prm --set "Problem/Data model=spherical"
expect_error "Step size schedule xi" info base.prm --set "Problem/Step size schedule xi=1/(t-1"
expect_error "Step size schedule xi" info base.prm --set "Problem/Step size schedule xi=-1"
expect_error "Final time" info base.prm --set "Problem/Final time=0"
expect_error "Initial a lower" info base.prm --set "Problem/Second layer=trainable" --set "Problem/Initial a lower=2"
expect_error "--set" info base.prm --set "no equals sign"
expect_error "SGD/Block length" sgd base.prm --set "SGD/Block length=0"
expect_error "SGD/Block length" sgd base.prm --set "SGD/Block length=many"
# Runs of absurd length are refused before they start (the SGD's cost model).
expect_error "Run/Maximum estimated hours" sgd base.prm --set "SGD/Step size epsilon=1e-12"
expect_error "SGD/Step size epsilon" compare base.prm --set "SGD/Step size epsilon=1e-12"
expect_error "Study/Widths N" study base.prm --set "Study/Widths N=100000000"
expect_error "Run/Maximum estimated hours" sgd base.prm --set "Run/Maximum estimated hours=1e-9"
expect_error "Run/Maximum estimated hours" info base.prm --set "Run/Maximum estimated hours=0"
# A line the parser cannot read at all, in a file.
printf 'subsection Problem\n  set Delta 0.5\nend\n' > broken.prm
expect_error "broken.prm" info broken.prm
# An output folder that cannot be created.
touch blocker
expect_error "Output/Folder" info base.prm --set "Output/Folder=blocker/sub"

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
