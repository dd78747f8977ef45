# The two commands of the README. Both install what is missing first.
.PHONY: dev test bench install

# npm ci once per lockfile change; Node 24 then comes from node_modules/.bin (the pinned `node` package).
node_modules/.paygov-installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.paygov-installed

dev: install
	npm run dev

test: install
	npm test

bench: install
	npm run bench
