"""Docker's exact rules, each written once: units, Go sort and value formatting, shell words, image
references, stack names and labels, engine defaults, mode names and engine timestamps. Pure; imports
nothing of composeswarm but `errors`."""
