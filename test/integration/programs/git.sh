# git: init a repository, two commits, log, status, fsck and gc (fixed identity and dates,
# so the commit ids are the same everywhere).
# usage: git.sh DIR (made afresh, removed after)
set -e
d=$1
rm -rf "$d"; mkdir -p "$d/home" "$d/repo"
export HOME=$d/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_DATE='2020-01-01T00:00:00Z'
export GIT_COMMITTER_DATE='2020-01-01T00:00:00Z' LC_ALL=C
git config --global user.name Tester
git config --global user.email tester@example.invalid
git config --global init.defaultBranch main
cd "$d/repo"
git init -q .
echo hello > a.txt; mkdir sub; seq 1 1000 > sub/numbers; ln -s a.txt link
git add .
git commit -qm first
echo more >> a.txt; git rm -q sub/numbers; chmod +x a.txt
git commit -qam second
git log --format='%H %an %s'
git status --short --branch
git ls-tree -r HEAD
git diff --stat HEAD~1 HEAD
git fsck --full 2>&1
git gc -q 2>&1
git count-objects -v | grep -v size
cd /; rm -rf "$d"
