//! dialtone-linkus: the Yeastar P-Series (Linkus SDK) client: signature login, event socket, CDR.
//!
//! Empty until the WebRTC/Linkus issue (#4) fills it.
