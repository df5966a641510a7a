//! dialtone-core: the phone.
