# A bash script using pipelines, subshells, $(...), background jobs with wait, and trap.
set -e
x=$(echo sub | tr a-z A-Z); echo "$x"
(cd /usr && ls | head -2)
sleep 0.2 & sleep 0.1 & wait; echo "waited $?"
trap 'echo got USR1' USR1; kill -USR1 $$
for i in 1 2 3; do echo $i; done | sort -r | tr '\n' ' '; echo
{ echo a; echo b >&2; } 2>&1 | wc -l
f() { return 3; }; f || echo "status $?"
