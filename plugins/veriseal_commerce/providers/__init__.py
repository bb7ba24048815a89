"""Payment providers: the interface (:mod:`.base`) and the clients of WeChat Pay API v3
(:mod:`.wechatpay`) and the Alipay open platform (:mod:`.alipay`), with their signature
checks and decryption (:mod:`.crypto`). Offline bank transfers need no client: the
payments service records them (see :mod:`veriseal_commerce.payments`)."""
