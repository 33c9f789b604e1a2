# The two commands. Everything else is in scripts/.
.PHONY: run test
run:  ## set up and run the app embedded (SQLite, local storage, a worker, demo data)
	scripts/run.sh
test:  ## set up and run the whole test suite
	scripts/test.sh
