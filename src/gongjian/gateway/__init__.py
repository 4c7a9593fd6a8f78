"""HJ 212 device gateway: monitoring devices connect over TCP and send packets (codec:
``gongjian.standards.hj212``)."""
