"""Reference generators for cuoptim's parity harness (cuoptim/parity, npx cuoptim-parity).

Each generator reads a parity case (JSON), runs it on a reference implementation and writes a
trajectory (safetensors: the case in the metadata, params and state at each snapshot):

  python -m cuoptim_parity.torch_ref CASE.json OUT.safetensors          torch.optim + lr_scheduler
  python -m cuoptim_parity.bitsandbytes_ref CASE.json OUT.safetensors   bitsandbytes 8-bit optimizers
  python -m cuoptim_parity.transformers_ref CASE.json OUT.safetensors   transformers' Adafactor
  python -m cuoptim_parity.schedulefree_ref CASE.json OUT.safetensors   the schedulefree package

Plain Python + numpy + torch, run with whatever torch the user has. Exit codes: 0 written,
2 the case is not one this generator can run, 3 a package it needs is missing.
"""
