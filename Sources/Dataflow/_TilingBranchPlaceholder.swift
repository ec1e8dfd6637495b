// Placeholder so branch 'tiling' builds without the runtime sources. Not committed.
