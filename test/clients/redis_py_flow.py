"""
redis-py (Debian's python3-redis) against one server: python3 redis_py_flow.py PORT

Runs what Python applications do with redis-py (commands with its reply callbacks, pipelines,
WATCH transactions, scripts through Script objects, locks, pub/sub, scan_iter, streams and
consumer groups, errors) and prints one JSON document: a list of [label, result]. The test
(test/clients-python.test.ts) runs it against real Redis 7.0 and against Redust and compares the
two documents, so every result below must be deterministic (no times, ids or random members).
"""
import json
import sys
import threading

import redis
from redis.exceptions import ResponseError, WatchError, LockError

port = int(sys.argv[1])
r = redis.Redis(host="127.0.0.1", port=port)
s = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
out = []


def conv(v):
    if isinstance(v, bytes):
        return "b:" + v.hex()
    if isinstance(v, (list, tuple)):
        return [conv(x) for x in v]
    if isinstance(v, set):
        return sorted(conv(x) for x in v)
    if isinstance(v, dict):
        return {str(conv(k)): conv(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, Exception):
        return "error " + type(v).__name__ + ": " + str(v)
    return v


def rec(label, fn):
    try:
        out.append([label, conv(fn())])
    except Exception as e:  # the error class and Redis's text are part of the result
        out.append([label, "error " + type(e).__name__ + ": " + str(e)])


r.flushall()
rec("ping", r.ping)
rec("set", lambda: r.set("str", "hello", ex=100))
rec("get", lambda: r.get("str"))
rec("ttl", lambda: 98 <= r.ttl("str") <= 100)  # (a second may pass on a loaded machine)
rec("set nx", lambda: r.set("str", "x", nx=True))
rec("set get", lambda: r.set("str", "v2", get=True))
rec("incr", lambda: [r.incr("n"), r.incrby("n", 10), r.decr("n"), r.incrbyfloat("n", 0.5)])
rec("incr wrong", lambda: r.incr("str"))
rec("binary", lambda: [r.set(b"\x00\xff\r\n", b"\x01\x00"), r.get(b"\x00\xff\r\n"), r.strlen(b"\x00\xff\r\n")])
rec("mset mget", lambda: [r.mset({"a": 1, "b": "2", "c": 3.5}), r.mget("a", "b", "c", "missing")])
rec("getrange", lambda: r.getrange("str", 0, 0))
rec("unicode", lambda: [s.set("u", "héllo ✓"), s.get("u"), r.strlen("u")])

rec("hset", lambda: r.hset("h", mapping={"f1": "v1", "f2": 2, "f3": 3.25}))
rec("hgetall", lambda: r.hgetall("h"))
rec("hincrby", lambda: [r.hincrby("h", "f2", 5), r.hincrbyfloat("h", "f3", 1.5)])
rec("hmget", lambda: r.hmget("h", ["f1", "nope", "f2"]))
rec("hrandfield count", lambda: len(r.hrandfield("h", 2)))
rec("hscan_iter", lambda: sorted(r.hscan_iter("h")))

rec("lpush", lambda: [r.rpush("l", *range(10)), r.lpush("l", "head")])
rec("lrange", lambda: r.lrange("l", 0, -1))
rec("lpos", lambda: [r.lpos("l", "5"), r.lpos("l", "x")])
rec("lpop count", lambda: r.lpop("l", 3))
rec("linsert", lambda: r.linsert("l", "BEFORE", "5", "ins"))
rec("blpop", lambda: r.blpop(["nolist", "l"], timeout=1))
rec("lmove", lambda: r.lmove("l", "l2", "LEFT", "RIGHT"))
rec("wrongtype", lambda: r.lpush("str", "x"))

rec("sadd", lambda: r.sadd("s", *range(20)))
rec("smembers", lambda: r.smembers("s"))
rec("sismember", lambda: [r.sismember("s", 3), r.smismember("s", [1, 99, 2])])
rec("sinter", lambda: [r.sadd("s2", 1, 2, 50), r.sinter("s", "s2"), r.sunion("s2", "s2"), r.sintercard(2, ["s", "s2"])])
rec("sscan_iter", lambda: sorted(int(x) for x in r.sscan_iter("s", match="1*")))

rec("zadd", lambda: r.zadd("z", {"a": 1, "b": 2.5, "c": -3, "d": float("inf")}))
rec("zrange withscores", lambda: r.zrange("z", 0, -1, withscores=True))
rec("zrangebyscore", lambda: r.zrangebyscore("z", "(1", "+inf", withscores=True))
rec("zincrby", lambda: r.zincrby("z", 0.25, "a"))
rec("zscore", lambda: [r.zscore("z", "b"), r.zscore("z", "nope"), r.zmscore("z", ["a", "x"])])
rec("zpopmin", lambda: r.zpopmin("z", 2))
rec("zrank", lambda: [r.zrank("z", "b"), r.zrevrank("z", "b")])
rec("zadd nan", lambda: r.zadd("z", {"e": float("nan")}))
rec("zadd gt ch", lambda: r.zadd("z", {"b": 10, "new": 1}, gt=True, ch=True))
rec("zscan_iter", lambda: sorted(r.zscan_iter("z")))

rec("expire", lambda: [r.expire("h", 100), 98 <= r.ttl("h") <= 100, r.persist("h"), r.ttl("h"), r.pexpire("h", 100000, nx=True)])
rec("type", lambda: [r.type(k) for k in ("str", "h", "l", "s", "z", "missing")])
rec("exists", lambda: r.exists("str", "h", "missing", "str"))
rec("rename", lambda: [r.rename("str", "str2"), r.exists("str")])
rec("object encoding", lambda: [r.object("encoding", k) for k in ("n", "h", "s", "z", "l")])
rec("scan_iter", lambda: sorted(r.scan_iter(match="s*", count=3)))
rec("keys", lambda: sorted(r.keys("?")))
rec("copy", lambda: [r.copy("h", "h3"), r.hgetall("h3")])
rec("sort", lambda: [r.rpush("sl", 3, 1, 2), r.sort("sl"), r.sort("sl", desc=True, start=0, num=2)])

def pipe_run():
    p = r.pipeline()
    for i in range(200):
        p.set("p%d" % i, i)
    p.get("p7").incr("p7").hset("ph", "a", 1).hgetall("ph")
    res = p.execute()
    return [len(res), res[-4:]]
rec("pipeline transaction", pipe_run)

def pipe_errors():
    p = r.pipeline(transaction=True)
    p.set("pe", "x").incr("pe").get("pe")
    return p.execute(raise_on_error=False)
rec("pipeline errors", pipe_errors)

def pipe_no_tx():
    p = r.pipeline(transaction=False)
    p.lpush("str2", 1).set("pn", 1).get("pn")
    return p.execute(raise_on_error=False)
rec("pipeline no transaction", pipe_no_tx)

def watch_tx():
    r.set("wk", 5)
    def step(pipe):
        v = int(pipe.get("wk"))
        pipe.multi()
        pipe.set("wk", v * 2)
    res = r.transaction(step, "wk")
    return [res, r.get("wk")]
rec("transaction helper", watch_tx)

def watch_conflict():
    with r.pipeline() as pipe:
        pipe.watch("wc")
        r.set("wc", "changed")
        pipe.multi()
        pipe.set("wc", "mine")
        try:
            pipe.execute()
            return "executed"
        except WatchError as e:
            return "WatchError " + str(e)
rec("watch conflict", watch_conflict)

script = r.register_script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1]), 3.99, {1, 'two'}, redis.status_reply('OK'), false}")
rec("script first call", lambda: script(keys=["sk"], args=["a"]))
rec("script cached", lambda: script(keys=["sk"], args=["b"]))
rec("script flush then call", lambda: [r.script_flush(), script(keys=["sk"], args=["c"])])
rec("script exists", lambda: r.script_exists(script.sha, "0" * 40))
rec("script error", lambda: r.eval("return redis.call('INCR', KEYS[1])", 1, "h"))
rec("eval error text", lambda: r.eval("return redis.error_reply('MY bad')", 0))
rec("eval pcall", lambda: r.eval("local ok = redis.pcall('INCR', 'h') return ok['err']", 0))
rec("fcall", lambda: [r.function_load("#!lua name=pylib\nredis.register_function('pyf', function(k, a) return #k + #a end)", replace=True), r.fcall("pyf", 2, "x", "y", "z")])

def locks():
    lk = r.lock("lock:res", timeout=10)
    got = lk.acquire(blocking=False)
    other = r.lock("lock:res", timeout=10)
    got2 = other.acquire(blocking=False)
    owned = lk.owned()
    ext = lk.extend(5)
    ttl_ok = 12000 <= r.pttl("lock:res") <= 15000  # (seconds may pass on a loaded machine)
    lk.release()
    try:
        lk.release()
        second = "released twice"
    except LockError as e:
        second = "LockError"
    return [got, got2, owned, ext, ttl_ok, second, r.exists("lock:res")]
rec("lock", locks)

def pubsub():
    p = s.pubsub()
    p.subscribe("ch1")
    p.psubscribe("pat.*")
    msgs = []
    for _ in range(2):
        msgs.append(p.get_message(timeout=2))
    n1 = s.publish("ch1", "hello")
    n2 = s.publish("pat.x", "world")
    n3 = s.publish("nobody", "x")
    for _ in range(2):
        msgs.append(p.get_message(timeout=2))
    numsub = s.pubsub_numsub("ch1", "none")
    numpat = s.pubsub_numpat()
    chans = s.pubsub_channels()
    p.unsubscribe("ch1")
    p.punsubscribe()
    for _ in range(2):
        msgs.append(p.get_message(timeout=2))
    p.close()
    return [msgs, n1, n2, n3, numsub, numpat, chans]
rec("pubsub", pubsub)

def streams():
    ids = [r.xadd("st", {"f": i}, id="%d-1" % (i + 1)) for i in range(5)]
    grp = r.xgroup_create("st", "g", id="0")
    rd = r.xreadgroup("g", "c1", {"st": ">"}, count=2)
    pend = r.xpending("st", "g")
    ack = r.xack("st", "g", "1-1")
    rng = r.xrange("st", "-", "+", count=2)
    rev = r.xrevrange("st", "+", "-", count=1)
    rd2 = r.xread({"st": "3-1"})
    claimed = r.xautoclaim("st", "g", "c2", 0, "0-0", count=5)
    info = r.xinfo_stream("st")
    trimmed = r.xtrim("st", maxlen=2)
    dup = None
    try:
        r.xadd("st", {"f": 1}, id="1-1")
    except ResponseError as e:
        dup = str(e)
    return [ids, grp, rd, pend, ack, rng, rev, rd2, claimed,
            [info["length"], info["groups"], info["first-entry"], info["last-entry"]], trimmed, dup]
rec("streams", streams)

def geo():
    r.geoadd("geo", [13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"])
    return [r.geodist("geo", "Palermo", "Catania", unit="km"), r.geopos("geo", "Palermo", "nope"),
            r.geosearch("geo", longitude=15, latitude=37, radius=200, unit="km", withdist=True, sort="ASC")]
rec("geo", geo)
rec("hll", lambda: [r.pfadd("hll", *"abcdefg"), r.pfcount("hll")])
rec("bitmaps", lambda: [r.setbit("bm", 7, 1), r.getbit("bm", 7), r.bitcount("bm"), r.bitfield("bm").incrby("u8", 0, 200).get("u4", 0).execute()])

def conn():
    c = redis.Redis(host="127.0.0.1", port=port, client_name="pyclient")
    name = c.client_getname()
    info = [x for x in c.client_list() if x.get("name") == "pyclient"][0]
    c.close()
    return [name, sorted(info.keys())]
rec("client name and list fields", conn)
rec("client id int", lambda: isinstance(r.client_id(), int))
rec("info", lambda: [r.info()["redis_version"].split(".")[:2], r.info("keyspace").get("db0", {}).get("expires") is not None, sorted(r.info("memory").keys())[:3]])
rec("config get", lambda: r.config_get("maxmemory*"))
rec("dbsize", r.dbsize)
rec("select", lambda: [redis.Redis(host="127.0.0.1", port=port, db=3).set("indb3", 1), r.info("keyspace").get("db3")])
rec("unknown command", lambda: r.execute_command("NOSUCHCMD", "a"))
rec("arity", lambda: r.execute_command("GET"))
rec("flushdb", lambda: [r.flushdb(), r.dbsize()])

print(json.dumps(out))
