# bash job control on a terminal (run under `script`): a background `cat` stops on
# SIGTTIN, a background `stty tostop` on SIGTTOU, a background write without TOSTOP goes
# through; the stopped jobs left behind are killed (and their orphaned groups hung up).
set -m
cat & c=$!
sleep 0.3
ps -o stat=,comm= -p $c
kill -9 $c
(stty tostop; echo written-by-bg) & s=$!
sleep 0.3
ps -o stat= -p $s
kill -9 $s
stty -tostop
(echo bg-write-without-tostop) & wait $!
echo "done $?"
