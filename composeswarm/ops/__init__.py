"""Day-two commands on deployed stacks: ls / services / ps rows, rm, logs."""
