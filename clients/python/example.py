"""Play one episode: python3 clients/python/example.py [URL] [TASK]  (defaults: http://127.0.0.1:8080, full)"""
import sys

from datanexus_gym import DataNexusEnv, actions as A

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
task = sys.argv[2] if len(sys.argv) > 2 else "full"
with DataNexusEnv(url, task=task) as env:
    obs, info = env.reset(seed=1)
    print(f"{info['task']}: {obs['baseline']['counts']['failed']} failing test(s), {info['maxSteps']} steps")
    obs, reward, terminated, truncated, info = env.step(A.list_files())
    print("files:", len(obs["entries"]))
    obs, reward, terminated, truncated, info = env.step(A.submit())
    print(f"reward {reward:.3f}, outcome {obs['outcome']}, terminated {terminated}")
