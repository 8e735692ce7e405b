# Python threads, subprocess.run and a process pool.
import concurrent.futures as cf
import subprocess
import threading

results = []
lock = threading.Lock()

def work(i):
    with lock:
        results.append(i * i)

threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(results))
print(subprocess.run(["echo", "from a subprocess"], capture_output=True, text=True).stdout.strip())
with cf.ThreadPoolExecutor(4) as ex:
    print(list(ex.map(abs, [-1, -2, -3])))
with cf.ProcessPoolExecutor(2) as ex:
    print(list(ex.map(abs, [-4, -5, -6])))
